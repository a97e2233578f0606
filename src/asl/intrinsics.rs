//! The 18 intrinsic functions of JSONPath mode (`States.Format(...)` & co).
//!
//! An expression is parsed once into an [`Intrinsic`] tree; evaluation resolves
//! path arguments against a [`Scope`] and applies AWS's argument checks.
//! Failures are `States.IntrinsicFailure` (or `States.Runtime` for a missing
//! path argument, as AWS reports it).

use super::expr_error::ExprError;
use super::json::{as_f64, as_i64, json_eq, num_i64, to_compact};
use super::jsonpath::{Path, PathError, Scope};
use super::value::{Map, Val};
use base64::Engine as _;

/// Source of randomness for `States.UUID` and `States.MathRandom`.
pub trait Random {
    fn next_u64(&mut self) -> u64;
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Lit(Val),
    Path(Path),
    Call(Box<Intrinsic>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    pub name: String,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IntrinsicError {
    /// `States.IntrinsicFailure` with a cause.
    Failure(String),
    /// A path argument could not be resolved (`States.Runtime`).
    Path(String, PathError),
}

/// Every intrinsic function's name.
pub const FUNCTIONS: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayPartition",
    "States.ArrayContains",
    "States.ArrayRange",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayUnique",
    "States.Base64Encode",
    "States.Base64Decode",
    "States.Hash",
    "States.JsonMerge",
    "States.MathRandom",
    "States.MathAdd",
    "States.StringSplit",
    "States.UUID",
];

/// True when a `.$` value is an intrinsic call rather than a path.
pub fn looks_like_call(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

impl Intrinsic {
    pub fn parse(src: &str) -> Result<Intrinsic, ExprError> {
        let mut p = P {
            s: src,
            i: 0,
            depth: 0,
        };
        p.ws();
        let f = p.call()?;
        p.ws();
        if p.i != src.len() {
            return Err(ExprError::new(
                "intrinsic function",
                src,
                p.i,
                "unexpected text after the call",
            ));
        }
        Ok(f)
    }

    pub fn eval(&self, scope: &Scope, rng: &mut dyn Random) -> Result<Val, IntrinsicError> {
        let mut args = Vec::with_capacity(self.args.len());
        for a in &self.args {
            args.push(match a {
                Arg::Lit(v) => v.clone(),
                Arg::Path(p) => p
                    .eval(scope)
                    .map_err(|e| IntrinsicError::Path(p.source.clone(), e))?,
                Arg::Call(c) => c.eval(scope, rng)?,
            });
        }
        call(&self.name, args, rng).map_err(IntrinsicError::Failure)
    }
}

struct P<'a> {
    s: &'a str,
    i: usize,
    depth: usize,
}

impl P<'_> {
    fn err(&self, m: &str) -> ExprError {
        ExprError::new("intrinsic function", self.s, self.i, m)
    }
    fn peek(&self) -> char {
        self.s
            .get(self.i..)
            .and_then(|r| r.chars().next())
            .unwrap_or('\0')
    }
    fn ws(&mut self) {
        while self.peek() == ' ' {
            self.i += 1;
        }
    }
    fn call(&mut self) -> Result<Intrinsic, ExprError> {
        self.depth += 1;
        if self.depth > 10 {
            return Err(self.err("intrinsic functions may be nested at most 10 deep"));
        }
        let st = self.i;
        while self.peek().is_ascii_alphanumeric() || self.peek() == '.' {
            self.i += 1;
        }
        let name = self.s[st..self.i].to_string();
        if !FUNCTIONS.contains(&name.as_str()) {
            return Err(self.err(&format!("unknown function '{name}'")));
        }
        self.ws();
        if self.peek() != '(' {
            return Err(self.err("expected '('"));
        }
        self.i += 1;
        let mut args = Vec::new();
        self.ws();
        if self.peek() == ')' {
            self.i += 1;
        } else {
            loop {
                self.ws();
                args.push(self.arg()?);
                self.ws();
                match self.peek() {
                    ',' => self.i += 1,
                    ')' => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(self.err("expected ',' or ')'")),
                }
            }
        }
        self.depth -= 1;
        Ok(Intrinsic { name, args })
    }
    fn arg(&mut self) -> Result<Arg, ExprError> {
        let c = self.peek();
        if c == '\'' {
            self.i += 1;
            let mut out = String::new();
            loop {
                let ch = self.peek();
                if ch == '\0' && self.i >= self.s.len() {
                    return Err(self.err("unterminated string literal"));
                }
                self.i += ch.len_utf8();
                match ch {
                    '\\' => {
                        if self.i >= self.s.len() {
                            return Err(self.err("unterminated string literal"));
                        }
                        let n = self.peek();
                        self.i += n.len_utf8();
                        match n {
                            'n' => out.push('\n'),
                            't' => out.push('\t'),
                            'r' => out.push('\r'),
                            other => out.push(other),
                        }
                    }
                    '\'' => break,
                    other => out.push(other),
                }
            }
            return Ok(Arg::Lit(Val::str(out)));
        }
        if c == '$' {
            let st = self.i;
            let mut depth = 0i32;
            let mut quote: Option<char> = None;
            while self.i < self.s.len() {
                let ch = self.peek();
                if let Some(q) = quote {
                    if ch == q {
                        quote = None;
                    }
                } else {
                    match ch {
                        '\'' | '"' => quote = Some(ch),
                        '[' | '(' => depth += 1,
                        ']' => depth -= 1,
                        ')' if depth == 0 => break,
                        ')' => depth -= 1,
                        ',' if depth == 0 => break,
                        _ => {}
                    }
                }
                self.i += ch.len_utf8();
            }
            let text = self.s[st..self.i].trim_end();
            return Path::parse(text)
                .map(Arg::Path)
                .map_err(|e| e.within("intrinsic function", self.s, st));
        }
        if self.s[self.i..].starts_with("States.") {
            return Ok(Arg::Call(Box::new(self.call()?)));
        }
        let st = self.i;
        while self.i < self.s.len() && !matches!(self.peek(), ',' | ')' | ' ') {
            self.i += self.peek().len_utf8();
        }
        let word = &self.s[st..self.i];
        serde_json::from_str::<Val>(word)
            .ok()
            .filter(|v| !matches!(v, Val::Arr(_) | Val::Obj(_) | Val::Str(_)))
            .map(Arg::Lit)
            .ok_or_else(|| self.err(&format!("unexpected argument '{word}'")))
    }
}

/// Java's `toString` of a JSON value, which AWS uses when formatting.
fn java_string(v: &Val) -> String {
    match v {
        Val::Str(s) => s.to_string(),
        Val::Obj(o) => {
            let parts: Vec<String> = o
                .iter()
                .map(|(k, v)| format!("{k}={}", java_string(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Val::Arr(a) => {
            let parts: Vec<String> = a.iter().map(java_string).collect();
            format!("[{}]", parts.join(", "))
        }
        other => to_compact(other),
    }
}

fn arity(name: &str, args: &[Val], n: usize) -> Result<(), String> {
    if args.len() != n {
        return Err(format!(
            "Function {name} expects {n} argument(s) but got {}",
            args.len()
        ));
    }
    Ok(())
}

fn int_arg(name: &str, v: &Val, what: &str) -> Result<i64, String> {
    as_i64(v).ok_or_else(|| {
        format!(
            "Function {name}: {what} must be an integer, got {}",
            to_compact(v)
        )
    })
}

fn str_arg<'v>(name: &str, v: &'v Val, what: &str) -> Result<&'v str, String> {
    v.as_str().ok_or_else(|| {
        format!(
            "Function {name}: {what} must be a string, got {}",
            to_compact(v)
        )
    })
}

fn arr_arg<'v>(name: &str, v: &'v Val, what: &str) -> Result<&'v Vec<Val>, String> {
    v.as_array().ok_or_else(|| {
        format!(
            "Function {name}: {what} must be an array, got {}",
            to_compact(v)
        )
    })
}

/// Java's `Math.round`: halves round up.
/// A number argument of MathAdd/MathRandom: rounded to the nearest integer
/// (halves up, as Java's Math.round), and within AWS's range for them,
/// -2147483648 to 2147483647.
fn int32_arg(name: &str, v: &Val, what: &str) -> Result<i64, String> {
    let f = as_f64(v).ok_or_else(|| format!("Function {name}: {what} must be a number"))?;
    let r = (f + 0.5).floor();
    if !(i32::MIN as f64..=i32::MAX as f64).contains(&r) {
        return Err(format!(
            "Function {name}: {what} ({}) must be an integer from -2147483648 to 2147483647",
            v.to_compact()
        ));
    }
    Ok(r as i64)
}

pub fn uuid_v4(rng: &mut dyn Random) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_be_bytes());
    bytes[8..].copy_from_slice(&b.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn call(name: &str, args: Vec<Val>, rng: &mut dyn Random) -> Result<Val, String> {
    match name {
        "States.Format" => {
            let tmpl = str_arg(name, args.first().unwrap_or(&Val::Null), "the template")?;
            let mut out = String::new();
            let mut rest = args.iter().skip(1);
            let mut chars = tmpl.chars().peekable();
            let holes = tmpl.matches("{}").count();
            if holes != args.len() - 1 {
                return Err(format!(
                    "Function States.Format: the number of arguments ({}) does not match the number of placeholders ({holes})",
                    args.len() - 1
                ));
            }
            while let Some(c) = chars.next() {
                if c == '{' && chars.peek() == Some(&'}') {
                    chars.next();
                    out.push_str(&java_string(rest.next().unwrap_or(&Val::Null)));
                } else {
                    out.push(c);
                }
            }
            Ok(Val::str(out))
        }
        "States.StringToJson" => {
            arity(name, &args, 1)?;
            let s = str_arg(name, &args[0], "the argument")?;
            if s.trim().is_empty() {
                return Ok(Val::Null);
            }
            let v: Val = serde_json::from_str(s)
                .map_err(|e| format!("Function States.StringToJson: invalid JSON: {e}"))?;
            // Java parses "-0" to the integer 0.
            Ok(match &v {
                Val::Num(n) if n.to_string() == "-0" => num_i64(0),
                _ => v,
            })
        }
        "States.JsonToString" => {
            arity(name, &args, 1)?;
            Ok(Val::str(to_compact(&args[0])))
        }
        "States.Array" => Ok(Val::arr(args)),
        "States.ArrayPartition" => {
            arity(name, &args, 2)?;
            let a = arr_arg(name, &args[0], "the first argument")?;
            let n = int_arg(name, &args[1], "the chunk size")?;
            if n <= 0 {
                return Err(format!(
                    "Function States.ArrayPartition: the chunk size must be positive, got {n}"
                ));
            }
            Ok(Val::arr(
                a.chunks(n as usize).map(|c| Val::arr(c.to_vec())).collect(),
            ))
        }
        "States.ArrayContains" => {
            arity(name, &args, 2)?;
            let a = arr_arg(name, &args[0], "the first argument")?;
            Ok(Val::Bool(a.iter().any(|x| json_eq(x, &args[1]))))
        }
        "States.ArrayRange" => {
            arity(name, &args, 3)?;
            let s = int_arg(name, &args[0], "the start")?;
            let e = int_arg(name, &args[1], "the end")?;
            let st = int_arg(name, &args[2], "the step")?;
            if st == 0 {
                return Err("Function States.ArrayRange: the step must not be 0".into());
            }
            let mut out = Vec::new();
            let mut i = s;
            while (st > 0 && i <= e) || (st < 0 && i >= e) {
                out.push(num_i64(i));
                if out.len() > 1000 {
                    return Err(
                        "Function States.ArrayRange: the result may hold at most 1000 items".into(),
                    );
                }
                i += st;
            }
            Ok(Val::arr(out))
        }
        "States.ArrayGetItem" => {
            arity(name, &args, 2)?;
            let a = arr_arg(name, &args[0], "the first argument")?;
            let i = int_arg(name, &args[1], "the index")?;
            usize::try_from(i)
                .ok()
                .and_then(|i| a.get(i))
                .cloned()
                .ok_or_else(|| format!("Function States.ArrayGetItem: index {i} is out of bounds"))
        }
        "States.ArrayLength" => {
            arity(name, &args, 1)?;
            Ok(Val::from(arr_arg(name, &args[0], "the argument")?.len()))
        }
        "States.ArrayUnique" => {
            arity(name, &args, 1)?;
            let a = arr_arg(name, &args[0], "the argument")?;
            let mut out: Vec<Val> = Vec::new();
            for x in a {
                if !out.iter().any(|y| json_eq(x, y)) {
                    out.push(x.clone());
                }
            }
            Ok(Val::arr(out))
        }
        "States.Base64Encode" => {
            arity(name, &args, 1)?;
            let s = str_arg(name, &args[0], "the argument")?;
            if s.chars().count() > 10_000 {
                return Err(
                    "Function States.Base64Encode: the input may have at most 10000 characters"
                        .into(),
                );
            }
            Ok(Val::str(
                base64::engine::general_purpose::STANDARD.encode(s),
            ))
        }
        "States.Base64Decode" => {
            arity(name, &args, 1)?;
            let s = str_arg(name, &args[0], "the argument")?;
            if s.chars().count() > 10_000 {
                return Err(
                    "Function States.Base64Decode: the input may have at most 10000 characters"
                        .into(),
                );
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| format!("Function States.Base64Decode: invalid Base64: {e}"))?;
            Ok(Val::str(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "States.Hash" => {
            arity(name, &args, 2)?;
            let data = match &args[0] {
                Val::Str(s) => s.to_string(),
                other => to_compact(other),
            };
            if data.chars().count() > 10_000 {
                return Err(
                    "Function States.Hash: the input may have at most 10000 characters".into(),
                );
            }
            let alg = str_arg(name, &args[1], "the algorithm")?;
            use sha2::Digest;
            let hex = |b: &[u8]| {
                const DIGITS: &[u8; 16] = b"0123456789abcdef";
                let mut s = String::with_capacity(b.len() * 2);
                for x in b {
                    s.push(DIGITS[(x >> 4) as usize] as char);
                    s.push(DIGITS[(x & 15) as usize] as char);
                }
                s
            };
            let d = data.as_bytes();
            Ok(Val::str(match alg {
                "MD5" => hex(&md5::Md5::digest(d)),
                "SHA-1" => hex(&sha1::Sha1::digest(d)),
                "SHA-256" => hex(&sha2::Sha256::digest(d)),
                "SHA-384" => hex(&sha2::Sha384::digest(d)),
                "SHA-512" => hex(&sha2::Sha512::digest(d)),
                other => {
                    return Err(format!(
                        "Function States.Hash: unsupported algorithm '{other}' (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512)"
                    ))
                }
            }))
        }
        "States.JsonMerge" => {
            arity(name, &args, 3)?;
            let (Val::Obj(a), Val::Obj(b)) = (&args[0], &args[1]) else {
                return Err(
                    "Function States.JsonMerge: the first two arguments must be objects".into(),
                );
            };
            if args[2] != Val::Bool(false) {
                return Err("Function States.JsonMerge: deep merge is not supported; the third argument must be false".into());
            }
            let mut out: Map = (***a).clone();
            for (k, v) in b.iter() {
                out.insert(k.clone(), v.clone());
            }
            Ok(Val::obj(out))
        }
        "States.MathRandom" => {
            if args.len() != 2 && args.len() != 3 {
                return Err(format!(
                    "Function States.MathRandom expects 2 or 3 arguments but got {}",
                    args.len()
                ));
            }
            let lo = int32_arg(name, &args[0], "the start")?;
            let hi = int32_arg(name, &args[1], "the end")?;
            if hi < lo {
                return Err(
                    "Function States.MathRandom: the end must not be smaller than the start".into(),
                );
            }
            let r = match args.get(2) {
                Some(seed) => {
                    let s = as_i64(seed)
                        .ok_or("Function States.MathRandom: the seed must be an integer")?
                        as u64;
                    let mut z = s.wrapping_add(0x9E3779B97F4A7C15);
                    z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
                    z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
                    z ^ (z >> 31)
                }
                None => rng.next_u64(),
            };
            let span = (hi - lo) as u64 + 1;
            Ok(num_i64(lo + (r % span) as i64))
        }
        "States.MathAdd" => {
            arity(name, &args, 2)?;
            let a = int32_arg(name, &args[0], "the first argument")?;
            let b = int32_arg(name, &args[1], "the second argument")?;
            Ok(num_i64(a + b))
        }
        "States.StringSplit" => {
            arity(name, &args, 2)?;
            let s = str_arg(name, &args[0], "the first argument")?;
            let d = str_arg(name, &args[1], "the delimiter")?;
            Ok(Val::arr(
                s.split(|c| d.contains(c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Val::str(p.to_string()))
                    .collect(),
            ))
        }
        "States.UUID" => {
            arity(name, &args, 0)?;
            Ok(Val::str(uuid_v4(rng)))
        }
        other => Err(format!("unknown intrinsic function {other}")),
    }
}

impl std::fmt::Display for IntrinsicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntrinsicError::Failure(m) => f.write_str(m),
            IntrinsicError::Path(p, e) => write!(f, "Invalid path '{p}': {e}"),
        }
    }
}

impl std::error::Error for IntrinsicError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixed(u64);
    impl Random for Fixed {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1);
            self.0
        }
    }

    fn ev(src: &str, data: serde_json::Value) -> Result<serde_json::Value, IntrinsicError> {
        Intrinsic::parse(src)
            .unwrap()
            .eval(&Scope::data(&Val::from(data)), &mut Fixed(1))
            .map(|v| v.to_json())
    }

    #[test]
    fn format_and_escapes() {
        assert_eq!(
            ev("States.Format('It\\'s {} \\{x\\}', $.a)", json!({"a": 1.5})).unwrap(),
            json!("It's 1.5 {x}")
        );
        assert_eq!(
            ev(
                "States.Format('{}', $.o)",
                json!({"o": {"a": 1, "b": [1, 2]}})
            )
            .unwrap(),
            json!("{a=1, b=[1, 2]}")
        );
        assert!(matches!(
            ev("States.Format('{} {}', 1)", json!({})),
            Err(IntrinsicError::Failure(_))
        ));
    }

    #[test]
    fn arrays() {
        assert_eq!(
            ev("States.ArrayRange(1, 9, 2)", json!({})).unwrap(),
            json!([1, 3, 5, 7, 9])
        );
        assert_eq!(
            ev("States.ArrayPartition(States.Array(1,2,3), 2)", json!({})).unwrap(),
            json!([[1, 2], [3]])
        );
        assert_eq!(
            ev("States.ArrayUnique($.a)", json!({"a": [1, 1.0, "1", 2]})).unwrap(),
            json!([1, "1", 2])
        );
        assert_eq!(
            ev("States.ArrayGetItem($.a, 1)", json!({"a": [5, 6]})).unwrap(),
            json!(6)
        );
        assert!(ev("States.ArrayRange(0, 2000, 1)", json!({})).is_err());
    }

    #[test]
    fn math_rounds_like_java() {
        assert_eq!(
            ev("States.MathAdd(1.5, 1.51)", json!({})).unwrap(),
            json!(4)
        );
        assert_eq!(ev("States.MathAdd(-2.5, 0)", json!({})).unwrap(), json!(-2));
        let r = ev("States.MathRandom(1, 3)", json!({})).unwrap();
        assert!((1..=3).contains(&r.as_i64().unwrap()));
    }

    #[test]
    fn math_arguments_outside_the_int32_range_fail_instead_of_wrapping() {
        for src in [
            "States.MathRandom(-1e300, 1e300)",
            "States.MathAdd(9223372036854775807, 1)",
            "States.MathAdd(2147483648, 0)",
            "States.MathRandom(0, 1e19)",
        ] {
            assert!(
                matches!(ev(src, json!({})), Err(IntrinsicError::Failure(m)) if m.contains("-2147483648")),
                "{src}"
            );
        }
        assert_eq!(
            ev("States.MathAdd(2147483647, 2147483647)", json!({})).unwrap(),
            json!(4294967294i64)
        );
        let r = ev("States.MathRandom(-2147483648, 2147483647)", json!({})).unwrap();
        assert!(r.as_i64().is_some());
    }

    #[test]
    fn a_string_literal_cut_after_a_backslash_is_a_parse_error() {
        for src in [
            "States.Array('\\",
            "States.Array('a\\",
            "States.Format('é\\",
        ] {
            let e = Intrinsic::parse(src).unwrap_err();
            assert!(e.message.contains("unterminated"), "{src}: {e}");
        }
    }

    #[test]
    fn strings_and_hashes() {
        assert_eq!(
            ev("States.StringSplit(', , ,', ',')", json!({})).unwrap(),
            json!([" ", " "])
        );
        assert_eq!(
            ev("States.Hash('input data', 'MD5')", json!({})).unwrap(),
            json!("812f45842bc6d66ee14572ce20db8e86")
        );
        assert_eq!(
            ev("States.Base64Decode(States.Base64Encode('hé'))", json!({})).unwrap(),
            json!("hé")
        );
        assert_eq!(
            ev("States.StringToJson('-0')", json!({})).unwrap(),
            json!(0)
        );
        let u = ev("States.UUID()", json!({})).unwrap();
        assert_eq!(u.as_str().unwrap().len(), 36);
    }

    #[test]
    fn parse_errors() {
        assert!(Intrinsic::parse("States.Nope(1)").is_err());
        assert!(Intrinsic::parse("States.Format('x'").is_err());
        let deep = "States.Array(".repeat(11) + &")".repeat(11);
        assert!(Intrinsic::parse(&deep).is_err());
    }

    #[test]
    fn missing_path_argument_is_a_path_error() {
        assert!(matches!(
            ev("States.Array($.nope)", json!({})),
            Err(IntrinsicError::Path(..))
        ));
    }
}
