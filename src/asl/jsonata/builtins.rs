//! The functions installed in every evaluator (`$random`, `$uuid`, AWS's
//! `$partition`, `$hash`, … and the fixes to the library's own), and the
//! watchdog that cancels a runaway evaluation.

use super::*;

fn err(m: impl Into<String>) -> EvaluatorError {
    EvaluatorError::EvaluationError(m.into())
}

fn num_arg(args: &[JValue], i: usize) -> Option<f64> {
    args.get(i).and_then(|v| v.as_f64())
}

/// Run the real built-in `name` on `args` in a plain evaluator (used after a
/// guard has checked the arguments).
fn builtin(name: &str, args: &[JValue]) -> Result<JValue, EvaluatorError> {
    let mut ctx = Context::new();
    let params: Vec<String> = (0..args.len()).map(|i| format!("$a{i}")).collect();
    for (i, a) in args.iter().enumerate() {
        ctx.bind(format!("a{i}"), a.clone());
    }
    let ast = jsonata_core::parser::parse(&format!("${name}({})", params.join(", ")))
        .map_err(|e| err(e.to_string()))?;
    let opts = EvaluatorOptions {
        timeout_ms: Some(TIME_LIMIT_MS),
        max_stack_depth: Some(MAX_DEPTH),
        ..Default::default()
    };
    Evaluator::with_options(ctx, opts).evaluate(&ast, &JValue::Null)
}

struct SeedRng(Rc<Cell<u64>>);

impl Random for SeedRng {
    fn next_u64(&mut self) -> u64 {
        let mut z = self.0.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.0.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

type HostBox = Box<dyn Fn(&[JValue]) -> Result<JValue, EvaluatorError>>;

/// Functions AWS adds, removes or changes, plus the guards.
pub(super) fn install(ev: &mut Evaluator, rng: Rc<Cell<u64>>, now_ms: i64) {
    let reg = |ev: &mut Evaluator, name: &str, f: HostBox| {
        let f = Rc::new(f);
        let g = f.clone();
        if ev.register_fn(name, move |a: &[JValue]| f(a)).is_err() {
            let _ = ev.register_fn_override(name, move |a: &[JValue]| g(a));
        }
    };
    reg(
        ev,
        "partition",
        Box::new(|a| {
            let arr = a
                .first()
                .and_then(|v| v.as_array())
                .cloned()
                .unwrap_or_default();
            let n = num_arg(a, 1)
                .ok_or_else(|| err("T0410: Argument 2 of function $partition must be a number"))?;
            if n < 1.0 || n.fract() != 0.0 {
                return Err(err(
                    "D3140: The chunk size of $partition must be a positive integer",
                ));
            }
            Ok(JValue::array(
                arr.chunks(n as usize)
                    .map(|c| JValue::array(c.to_vec()))
                    .collect(),
            ))
        }),
    );
    reg(
        ev,
        "range",
        Box::new(|a| {
            let (Some(s), Some(e)) = (num_arg(a, 0), num_arg(a, 1)) else {
                return Err(err("T0410: $range needs numeric start and end"));
            };
            let step = num_arg(a, 2).unwrap_or(1.0);
            if step == 0.0 {
                return Err(err("D3141: The step of $range must not be 0"));
            }
            let count = ((e - s) / step).floor() + 1.0;
            if count > 10_000_000.0 {
                return Err(err(
                    "D2014: $range results in too many elements (> 10,000,000)",
                ));
            }
            let mut out = Vec::new();
            let mut x = s;
            while (step > 0.0 && x <= e) || (step < 0.0 && x >= e) {
                out.push(JValue::Number(x));
                x += step;
            }
            // A sequence, as AWS returns it: one item is that item.
            Ok(match out.len() {
                0 => JValue::Undefined,
                1 => out.pop().unwrap_or(JValue::Undefined),
                _ => JValue::array(out),
            })
        }),
    );
    reg(
        ev,
        "hash",
        Box::new(|a| {
            use sha2::Digest;
            let data = a
                .first()
                .and_then(|v| v.as_str())
                .ok_or_else(|| err("T0410: Argument 1 of function $hash must be a string"))?;
            let alg = a.get(1).and_then(|v| v.as_str()).unwrap_or("SHA-256");
            let d = data.as_bytes();
            let bytes: Vec<u8> = match alg {
                "MD5" => md5::Md5::digest(d).to_vec(),
                "SHA-1" => sha1::Sha1::digest(d).to_vec(),
                "SHA-256" => sha2::Sha256::digest(d).to_vec(),
                "SHA-384" => sha2::Sha384::digest(d).to_vec(),
                "SHA-512" => sha2::Sha512::digest(d).to_vec(),
                other => return Err(err(format!("D3142: Unsupported hash algorithm '{other}'"))),
            };
            Ok(JValue::string(
                bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            ))
        }),
    );
    let r = rng.clone();
    reg(
        ev,
        "random",
        Box::new(move |a| {
            let x = match num_arg(a, 0) {
                Some(seed) => SeedRng(Rc::new(Cell::new(seed.to_bits()))).next_u64(),
                None => SeedRng(r.clone()).next_u64(),
            };
            Ok(JValue::Number(unit(x)))
        }),
    );
    let r = rng;
    reg(
        ev,
        "uuid",
        Box::new(move |_| Ok(JValue::string(uuid_v4(&mut SeedRng(r.clone()))))),
    );
    reg(
        ev,
        "parse",
        Box::new(|a| {
            let s = a
                .first()
                .and_then(|v| v.as_str())
                .ok_or_else(|| err("T0410: Argument 1 of function $parse must be a string"))?;
            let v = Val::parse(s).map_err(|e| err(format!("D3143: $parse: invalid JSON: {e}")))?;
            Ok(to_j(&v))
        }),
    );
    reg(
        ev,
        "eval",
        Box::new(|_| {
            Err(EvaluatorError::ReferenceError(
                "T1006: Attempted to invoke a non-function".into(),
            ))
        }),
    );
    reg(
        ev,
        "millis",
        Box::new(move |_| Ok(JValue::Number(now_ms as f64))),
    );
    reg(
        ev,
        "now",
        Box::new(move |a| {
            let mut args = vec![JValue::Number(now_ms as f64)];
            args.extend(a.iter().cloned());
            builtin("fromMillis", &args)
        }),
    );
    // $distinct and $keys compare every item with every other in the
    // library, and do not stop for the time limit: 100,000 items took up to a
    // minute. The same results (the library's logic, sequences included),
    // found with a hash of each value (see REPLACED).
    reg(
        ev,
        "asldbgDistinct",
        Box::new(|a| match a.first() {
            None | Some(JValue::Undefined) => Ok(JValue::Undefined),
            Some(JValue::Array(arr)) if arr.len() > 1 => {
                let mut seen = std::collections::HashSet::new();
                let mut key = String::new();
                let mut out = Vec::new();
                for v in arr.iter() {
                    key.clear();
                    // A value with no JSON form (a function) equals nothing.
                    if !canonical(v, &mut key) || seen.insert(key.clone()) {
                        out.push(v.clone());
                    }
                }
                let mut result = JValue::array(out);
                if arr.sequence {
                    result.mark_sequence();
                }
                Ok(result)
            }
            Some(other) => Ok(other.clone()),
        }),
    );
    reg(
        ev,
        "asldbgKeys",
        Box::new(|a| {
            let mut keys: Vec<JValue> = Vec::new();
            let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
            let objects: Vec<&jsonata_core::value::JMap> = match a.first() {
                Some(JValue::Object(o)) => vec![&**o],
                Some(JValue::Array(arr)) => arr
                    .iter()
                    .filter_map(|item| match item {
                        JValue::Object(o) => Some(&**o),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for o in objects {
                for k in o.keys() {
                    if !seen.contains(k.as_str()) {
                        seen.insert(k.clone());
                        keys.push(JValue::string(k.clone()));
                    }
                }
            }
            Ok(JValue::sequence(keys))
        }),
    );
}

/// Cancels evaluations that run past their deadline. The library's own
/// timeout reads the clock at every step; a watchdog thread that flips a
/// cancel flag costs the evaluator one atomic load instead.
pub(super) mod watchdog {
    use super::CancelToken;
    use std::sync::{Arc, Mutex, OnceLock};
    use std::time::{Duration, Instant};

    type Entry = (Instant, Arc<CancelToken>);
    static PENDING: OnceLock<Mutex<Vec<Entry>>> = OnceLock::new();

    fn pending() -> &'static Mutex<Vec<Entry>> {
        PENDING.get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("jsonata-watchdog".into())
                .spawn(|| loop {
                    std::thread::sleep(Duration::from_millis(20));
                    let now = Instant::now();
                    if let Ok(mut list) = pending().lock() {
                        list.retain(|(deadline, token)| {
                            // Only the watchdog holds finished sessions' tokens.
                            let running = Arc::strong_count(token) > 1;
                            if running && *deadline <= now {
                                token.cancel();
                            }
                            running && *deadline > now
                        });
                    }
                });
            drop(spawned);
            Mutex::new(Vec::new())
        })
    }

    /// A token that is cancelled `limit` from now, while the caller holds it.
    pub fn token(limit: Duration) -> Arc<CancelToken> {
        let t = Arc::new(CancelToken::new());
        if let Ok(mut list) = pending().lock() {
            list.push((Instant::now() + limit, t.clone()));
        }
        t
    }
}
