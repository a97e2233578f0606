//! Terraform: the `aws_sfn_state_machine` resources of a `.tf` file, their
//! `definition` given as `jsonencode({…})`, a heredoc or a quoted string,
//! `file(…)` or `templatefile(…, {…})`. References are read as far as the
//! file says: `var.x` from `--sub x=…` or the variable's `default`,
//! `local.x` from `locals`, `path.module` as the file's folder, and another
//! resource's `arn`, `name`, `id` or `url` made up from its name (with a
//! note), as a template's `!GetAtt` is.

use super::{Body, Found};
use crate::asl::placeholders::{Place, Substitutions};
use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Element, Template};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// A `.tf` file that does not parse: the parser's message and where
/// (`file` is `None` for the file named, or the other file of its module).
#[derive(Debug)]
pub struct SyntaxError {
    pub file: Option<String>,
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// The other files of the module a `.tf` file is in, as Terraform reads
/// them: `.tf` files declare variables, locals, resources and data
/// sources; `.tfvars` files give variables their values.
#[derive(Debug, Default)]
pub struct Module {
    /// (file name, text), in the order they are read.
    pub files: Vec<(String, String)>,
}

fn parse(text: &str, file: Option<&str>) -> Result<hcl::Body, SyntaxError> {
    hcl::parse(text).map_err(|e| match e {
        hcl::Error::Parse(p) => SyntaxError {
            file: file.map(str::to_string),
            message: p.message().to_string(),
            line: p.location().line(),
            column: p.location().column(),
        },
        other => SyntaxError {
            file: file.map(str::to_string),
            message: other.to_string(),
            line: 1,
            column: 1,
        },
    })
}

/// The state machines of a Terraform file, in the order written, with
/// what the rest of its module (`module`) declares.
pub fn machines(
    text: &str,
    module: &Module,
    given: &Substitutions,
) -> Result<Vec<Found>, SyntaxError> {
    let main = parse(text, None)?;
    let mut others = Vec::new();
    for (name, t) in &module.files {
        others.push((name.as_str(), parse(t, Some(name))?));
    }
    let mut file = File {
        given,
        place: given.place(),
        variables: HashMap::new(),
        assigned: HashMap::new(),
        locals: HashMap::new(),
        resources: HashMap::new(),
        data: HashMap::new(),
        conflicts: Vec::new(),
        known: Default::default(),
        produced: Default::default(),
    };
    // The module's other files first: the file named has the last word.
    for (name, body) in &others {
        if name.ends_with(".tfvars") {
            for a in body.attributes() {
                file.assigned.insert(a.key.to_string(), &a.expr);
            }
        } else {
            file.declare(body, None);
        }
    }
    let mut machines = Vec::new();
    file.declare(&main, Some(&mut machines));
    if let Some((c, what)) = file.conflicts.first() {
        // At the second declaration, in the order the files are read.
        let texts = module
            .files
            .iter()
            .filter(|(n, _)| !n.ends_with(".tfvars"))
            .map(|(n, t)| (Some(n.clone()), t.as_str()))
            .chain([(None, text)]);
        let places: Vec<_> = texts
            .flat_map(|(f, t)| what.places(t).into_iter().map(move |p| (f.clone(), p)))
            .collect();
        let first = match places.first() {
            Some((f, (l, c))) if places.len() > 1 => format!(
                ", first at {}{l}:{c}",
                f.as_ref().map(|f| format!("{f}:")).unwrap_or_default()
            ),
            _ => String::new(),
        };
        let (file, (line, column)) = places.get(1).cloned().unwrap_or((None, (1, 1)));
        return Err(SyntaxError {
            file,
            message: format!("{c} in this module{first} (Terraform refuses it)"),
            line,
            column,
        });
    }
    Ok(machines
        .into_iter()
        .map(|(name, body)| {
            let mut found = file.machine(name.clone(), body);
            found.position = definition_position(text, &name);
            found
        })
        .collect())
}

/// A `module` block calling a module on disk (`source = "./modules/sfn"`):
/// where the state machine of a root file that has none may be.
#[derive(Debug, PartialEq)]
pub struct LocalModule {
    pub name: String,
    pub source: String,
    /// The block's line in the file.
    pub line: usize,
    /// The arguments it gives as literal text or numbers (`prefix =
    /// "shop"`): the module's variables, as `--sub` would give them.
    pub arguments: Vec<(String, String)>,
}

/// The module blocks of `text` whose source is a folder (`./…`, `../…`).
pub fn local_modules(text: &str) -> Vec<LocalModule> {
    let Ok(body) = parse(text, None) else {
        return Vec::new();
    };
    // Each `module "NAME"` line, found in one pass.
    let lines = module_lines(text);
    let mut out = Vec::new();
    for block in body.blocks() {
        let ([name], "module") = (block.labels.as_slice(), block.identifier.as_str()) else {
            continue;
        };
        let mut source = None;
        let mut arguments = Vec::new();
        for a in block.body.attributes() {
            let text = match &a.expr {
                Expression::String(s) => s.clone(),
                Expression::Number(n) => n.to_string(),
                Expression::Bool(b) => b.to_string(),
                _ => continue,
            };
            match a.key.as_str() {
                "source" => source = Some(text),
                "version" | "providers" | "count" | "for_each" | "depends_on" => {}
                k => arguments.push((k.to_string(), text)),
            }
        }
        let Some(source) = source.filter(|s| s.starts_with("./") || s.starts_with("../")) else {
            continue;
        };
        let line = lines.get(name.as_str()).copied().unwrap_or(1);
        out.push(LocalModule {
            name: name.as_str().to_string(),
            source,
            line,
            arguments,
        });
    }
    out
}

/// The line of each `module "NAME"` in `text` (the first, for a name
/// written twice).
fn module_lines(text: &str) -> HashMap<&str, usize> {
    let mut out = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let mut words = l
            .split(|c: char| c.is_whitespace() || c == '{')
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_matches('"'));
        if let (Some("module"), Some(name)) = (words.next(), words.next()) {
            out.entry(name).or_insert(i + 1);
        }
    }
    out
}

/// Where `resource "aws_sfn_state_machine" "NAME"`'s `definition` stands
/// in `text` (or the block itself, without one).
fn definition_position(text: &str, name: &str) -> Option<(usize, usize)> {
    let mut in_block = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let col = line.len() - t.len() + 1;
        if in_block.is_none() {
            let words: Vec<&str> = t
                .split(|c: char| c.is_whitespace() || c == '{')
                .filter(|w| !w.is_empty())
                .map(|w| w.trim_matches('"'))
                .collect();
            if words.len() >= 3
                && words[0] == "resource"
                && words[1] == "aws_sfn_state_machine"
                && words[2] == name
            {
                in_block = Some((i + 1, col));
            }
        } else if t.starts_with("resource ") || t.starts_with("data ") {
            break;
        } else if let Some(rest) = t.strip_prefix("definition") {
            if rest.trim_start().starts_with('=') {
                return Some((i + 1, col));
            }
        }
    }
    in_block
}

/// What the module declares that a definition may refer to.
struct File<'a> {
    given: &'a Substitutions,
    /// The region and account data sources and made-up ARNs are in.
    place: Place,
    /// Variables' defaults.
    variables: HashMap<String, &'a Expression>,
    /// Variables' values from `.tfvars` files (over their defaults).
    assigned: HashMap<String, &'a Expression>,
    locals: HashMap<String, &'a Expression>,
    /// `type.name` → how the resource names itself, if it does.
    resources: HashMap<String, Option<&'a Expression>>,
    /// `type.name` → a data source's block.
    data: HashMap<String, &'a hcl::Body>,
    /// What Terraform refuses in the module (a local defined twice): what
    /// to say, and what was declared twice.
    conflicts: Vec<(String, Declared)>,
    /// Each `local.x` / `var.x` once evaluated: a reference takes its
    /// value, not a new evaluation (a fan-out of locals naming locals was
    /// evaluated once per path: exponential).
    known: std::cell::RefCell<HashMap<String, Option<Value>>>,
    /// Bytes of values made so far for the machine at hand (see
    /// [`super::MAX_EXPANSION`]).
    produced: std::cell::Cell<usize>,
}

/// How deep expressions and references may nest (a local that names
/// itself is found as such before this).
const MAX_DEPTH: usize = 512;

/// About how many bytes `v` takes as JSON text.
fn size_of(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 2,
        Value::Array(a) => 2 + a.iter().map(|x| size_of(x) + 1).sum::<usize>(),
        Value::Object(o) => {
            2 + o
                .iter()
                .map(|(k, x)| k.len() + 4 + size_of(x))
                .sum::<usize>()
        }
        _ => 8,
    }
}

/// The names a reference reads through (`data.aws_region.current.name`),
/// indexes passed over: `aws_lambda_function.x[0].arn` names the one
/// resource of a count as `aws_lambda_function.x.arn` does.
fn attribute_names(t: &hcl::expr::Traversal) -> Vec<&str> {
    t.operators
        .iter()
        .filter_map(|op| match op {
            TraversalOperator::GetAttr(i) => Some(i.as_str()),
            _ => None,
        })
        .collect()
}

/// A block's own name (`name`, `function_name`), as written.
fn own_name(body: &hcl::Body) -> Option<&Expression> {
    ["name", "function_name"]
        .iter()
        .find_map(|k| Some(&body.attributes().find(|a| a.key.as_str() == *k)?.expr))
}

/// A name a module may declare once.
#[derive(Debug)]
enum Declared {
    Variable(String),
    Local(String),
}

impl Declared {
    /// Where `text` declares it (line, column), in order: a `variable
    /// "NAME"` block, or `NAME =` directly inside a `locals` block.
    fn places(&self, text: &str) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        // Braces open at the start of each line (strings and comments
        // are not told apart: a declaration's own line is what matters).
        let mut depth = 0i64;
        let mut in_locals = false;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            let col = line.len() - t.len() + 1;
            let mut words = t
                .split(|c: char| c.is_whitespace() || c == '{' || c == '=')
                .filter(|w| !w.is_empty())
                .map(|w| w.trim_matches('"'));
            match self {
                Declared::Variable(name) => {
                    if depth == 0
                        && words.next() == Some("variable")
                        && words.next() == Some(name.as_str())
                    {
                        found.push((i + 1, col));
                    }
                }
                Declared::Local(name) => {
                    let first = words.next();
                    if depth == 0 && first == Some("locals") {
                        in_locals = true;
                    } else if in_locals
                        && depth == 1
                        && t.strip_prefix(name.as_str())
                            .is_some_and(|r| r.trim_start().starts_with('='))
                    {
                        found.push((i + 1, col));
                    }
                }
            }
            depth += line.matches(['{', '[', '(']).count() as i64;
            depth -= line.matches(['}', ']', ')']).count() as i64;
            if depth <= 0 {
                depth = 0;
                in_locals = false;
            }
        }
        found
    }
}

/// A state machine block: its name and body.
type Machine<'a> = (String, &'a hcl::Body);

impl<'a> File<'a> {
    /// Takes in what `body` declares; its state machines go to `machines`
    /// when given (only the file named is asked for its machines).
    fn declare(&mut self, body: &'a hcl::Body, mut machines: Option<&mut Vec<Machine<'a>>>) {
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
            match (block.identifier.as_str(), labels.as_slice()) {
                ("variable", [name]) => {
                    if let Some(a) = block
                        .body
                        .attributes()
                        .find(|a| a.key.as_str() == "default")
                    {
                        if self.variables.insert(name.to_string(), &a.expr).is_some() {
                            self.conflicts.push((
                                format!("the variable '{name}' is declared twice"),
                                Declared::Variable(name.to_string()),
                            ));
                        }
                    }
                }
                ("locals", []) => {
                    for a in block.body.attributes() {
                        if self.locals.insert(a.key.to_string(), &a.expr).is_some() {
                            self.conflicts.push((
                                format!("the local value '{}' is defined twice", a.key),
                                Declared::Local(a.key.to_string()),
                            ));
                        }
                    }
                }
                ("data", [ty, name]) => {
                    self.data.insert(format!("{ty}.{name}"), &block.body);
                }
                ("resource", [ty, name]) => {
                    // A resource's own name, when the file gives one.
                    self.resources
                        .insert(format!("{ty}.{name}"), own_name(&block.body));
                    if *ty == "aws_sfn_state_machine" {
                        if let Some(m) = machines.as_deref_mut() {
                            m.push((name.to_string(), &block.body));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl File<'_> {
    /// `v` was made: counted, and refused past the bound.
    fn made(&self, v: Value) -> Result<Value, String> {
        let n = self.produced.get().saturating_add(size_of(&v));
        self.produced.set(n);
        if n > super::MAX_EXPANSION {
            return Err(format!(
                "its locals, variables and functions expand past {} MiB; a definition is at \
                 most 1 MB (AWS's quota)",
                super::MAX_EXPANSION >> 20
            ));
        }
        Ok(v)
    }

    /// The value of `local.name` / `var.name` (`key`), evaluated once.
    fn named(
        &self,
        key: String,
        e: &Expression,
        notes: &mut Vec<String>,
        depth: usize,
    ) -> Result<Value, String> {
        let known = self.known.borrow().get(&key).cloned();
        let v = match known {
            Some(Some(v)) => v,
            Some(None) => return Err(format!("{key} refers to itself")),
            None => {
                // In progress: meeting it again inside is a cycle.
                self.known.borrow_mut().insert(key.clone(), None);
                let v = self.value(e, notes, depth);
                match &v {
                    Ok(v) => self.known.borrow_mut().insert(key, Some(v.clone())),
                    Err(_) => self.known.borrow_mut().remove(&key),
                };
                v?
            }
        };
        self.made(v)
    }

    fn machine(&self, name: String, body: &hcl::Body) -> Found {
        self.produced.set(0);
        let attr = |k: &str| body.attributes().find(|a| a.key.as_str() == k);
        let mut notes = Vec::new();
        let express = attr("type").is_some_and(|a| {
            matches!(self.value(&a.expr, &mut notes, 0), Ok(Value::String(t)) if t == "EXPRESS")
        });
        let deployed = attr("name").and_then(|a| match self.value(&a.expr, &mut notes, 0) {
            Ok(Value::String(s)) if !s.contains("${") => Some(s),
            _ => None,
        });
        let mut substitutions = Substitutions::default();
        let body = match attr("definition").map(|a| &a.expr) {
            None => Body::Unreadable(format!("aws_sfn_state_machine.{name} has no definition")),
            Some(def) => match self.definition(def, &mut substitutions, &mut notes) {
                Ok(b) => b,
                Err(m) => Body::Unreadable(format!("aws_sfn_state_machine.{name}: {m}")),
            },
        };
        Found {
            name,
            pointer: String::new(),
            body,
            substitutions,
            notes,
            express,
            deployed,
            position: None,
        }
    }

    /// The `definition` attribute: an object (`jsonencode`), a file
    /// (`file`, `templatefile` and its variables) or text.
    fn definition(
        &self,
        e: &Expression,
        subs: &mut Substitutions,
        notes: &mut Vec<String>,
    ) -> Result<Body, String> {
        if let Some(body) = self.template_file(e) {
            // `data.template_file.x.rendered`: templatefile as a data source.
            let attr = |k: &str| body.attributes().find(|a| a.key.as_str() == k);
            if let Some(vars) = attr("vars") {
                self.template_variables(&vars.expr, subs, notes)?;
            }
            let Some(template) = attr("template") else {
                return Err("its template_file has no template".into());
            };
            return match &template.expr {
                Expression::FuncCall(f) if f.name.name.as_str() == "file" && f.args.len() == 1 => {
                    Ok(Body::File(self.text(&f.args[0], notes, 0)?))
                }
                other => Ok(Body::Text(self.text(other, notes, 0)?)),
            };
        }
        if let Expression::FuncCall(f) = e {
            let name = f.name.name.as_str();
            match (name, f.args.as_slice()) {
                ("jsonencode", [arg]) => return Ok(Body::Object(self.value(arg, notes, 0)?)),
                ("file", [path]) => return Ok(Body::File(self.text(path, notes, 0)?)),
                ("templatefile", [path, vars]) => {
                    self.template_variables(vars, subs, notes)?;
                    return Ok(Body::File(self.text(path, notes, 0)?));
                }
                _ => {}
            }
        }
        match self.value(e, notes, 0)? {
            Value::String(s) => Ok(Body::Text(s)),
            other => Err(format!("the definition is {other}, not text or an object")),
        }
    }

    /// The block of the `template_file` data source `e` renders
    /// (`data.template_file.NAME.rendered`), if it is one.
    fn template_file(&self, e: &Expression) -> Option<&hcl::Body> {
        let Expression::Traversal(t) = e else {
            return None;
        };
        let Expression::Variable(root) = &t.expr else {
            return None;
        };
        match (root.as_str(), attribute_names(t).as_slice()) {
            ("data", ["template_file", name, "rendered"]) => {
                self.data.get(&format!("template_file.{name}")).copied()
            }
            _ => None,
        }
    }

    /// A template's variables (`templatefile`'s map, `template_file`'s
    /// `vars`) as substitutions: text where they stand.
    fn template_variables(
        &self,
        vars: &Expression,
        subs: &mut Substitutions,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        match self.value(vars, notes, 0)? {
            Value::Object(o) => {
                for (k, v) in o {
                    let v = match v {
                        Value::String(s) => Value::String(s),
                        other => Value::String(other.to_string()),
                    };
                    subs.set(k, v);
                }
                Ok(())
            }
            other => Err(format!(
                "the template's variables are {other}, not an object"
            )),
        }
    }

    fn text(
        &self,
        e: &Expression,
        notes: &mut Vec<String>,
        depth: usize,
    ) -> Result<String, String> {
        match self.value(e, notes, depth)? {
            Value::String(s) => Ok(s),
            other => Ok(other.to_string()),
        }
    }

    /// The JSON value of an HCL expression, as far as the file says.
    fn value(
        &self,
        e: &Expression,
        notes: &mut Vec<String>,
        depth: usize,
    ) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("expressions nested too deep".into());
        }
        let d = depth + 1;
        Ok(match e {
            Expression::Null => Value::Null,
            Expression::Bool(b) => Value::Bool(*b),
            Expression::Number(n) => number(n),
            Expression::String(s) => Value::String(s.clone()),
            Expression::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.value(x, notes, d))
                    .collect::<Result<_, _>>()?,
            ),
            Expression::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o {
                    let key = match k {
                        ObjectKey::Identifier(i) => i.to_string(),
                        ObjectKey::Expression(k) => self.text(k, notes, d)?,
                        _ => return Err("an object key that is not a name or an expression".into()),
                    };
                    out.insert(key, self.value(v, notes, d)?);
                }
                Value::Object(out)
            }
            Expression::TemplateExpr(t) => {
                let t = Template::from_expr(t).map_err(|e| e.to_string())?;
                let mut s = String::new();
                for el in t.elements() {
                    match el {
                        Element::Literal(l) => s.push_str(l),
                        Element::Interpolation(i) => s.push_str(&self.text(&i.expr, notes, d)?),
                        _ => return Err("a template directive (%{…}) is not evaluated".into()),
                    }
                }
                self.made(Value::String(s))?
            }
            Expression::Parenthesis(x) => self.value(x, notes, d)?,
            Expression::Traversal(t) => self.reference(t, notes, d)?,
            Expression::Variable(v) => return Err(format!("'{}' alone names nothing", v.as_str())),
            Expression::Conditional(c) => match self.value(&c.cond_expr, notes, d)? {
                Value::Bool(false) => self.value(&c.false_expr, notes, d)?,
                Value::Bool(true) => self.value(&c.true_expr, notes, d)?,
                _ => {
                    notes.push(
                        "a condition that cannot be evaluated here took its first branch".into(),
                    );
                    self.value(&c.true_expr, notes, d)?
                }
            },
            Expression::FuncCall(f) => {
                let name = f.name.name.as_str();
                if !f.name.namespace.is_empty() || f.expand_final {
                    return Err(format!("the call {name}(…) is not evaluated here"));
                }
                let args = f
                    .args
                    .iter()
                    .map(|a| self.value(a, notes, d))
                    .collect::<Result<Vec<_>, _>>()?;
                self.made(call(name, args)?)?
            }
            _ => return Err("an operation or a for expression is not evaluated here".into()),
        })
    }

    /// `var.x`, `local.x`, `path.module`, `type.name.attr`.
    fn reference(
        &self,
        t: &hcl::expr::Traversal,
        notes: &mut Vec<String>,
        depth: usize,
    ) -> Result<Value, String> {
        let Expression::Variable(root) = &t.expr else {
            return Err("a reference that does not start with a name".into());
        };
        let names = attribute_names(t);
        let written = format!("{}.{}", root.as_str(), names.join("."));
        let left = |notes: &mut Vec<String>, why: &str| {
            notes.push(format!("{written} {why}: it is left as written"));
            Ok(Value::String(format!("${{{written}}}")))
        };
        match (root.as_str(), names.as_slice()) {
            ("var", [name, ..]) => {
                if let Some(v) = self.given.get(name) {
                    return Ok(v);
                }
                if let Some(e) = self.assigned.get(*name) {
                    return self.named(format!("var.{name}"), e, notes, depth);
                }
                // `default = null` is no value: Terraform asks for one
                // where a string needs it, so asldbg leaves it as written.
                match self.variables.get(*name) {
                    Some(e) if !matches!(e, Expression::Null) => {
                        self.named(format!("var.{name}"), e, notes, depth)
                    }
                    _ => {
                        notes.push(format!(
                            "{written} has no default: --sub {name}=VALUE gives it"
                        ));
                        Ok(Value::String(format!("${{{written}}}")))
                    }
                }
            }
            ("local", [name, ..]) => match self.locals.get(*name) {
                Some(e) => self.named(format!("local.{name}"), e, notes, depth),
                None => Err(format!("{written}: no such local value in this module")),
            },
            ("path", ["module" | "root" | "cwd"]) => Ok(Value::String(".".into())),
            ("data", [ty, name, attr, ..]) => self.data_source(ty, name, attr, &written, notes),
            ("module" | "terraform" | "each" | "count" | "self", _) => {
                left(notes, "is only known when Terraform plans")
            }
            (ty, [name, attr, ..]) => {
                let given = self.resources.get(&format!("{ty}.{name}")).copied();
                let own = self.own_name(given.flatten(), name, depth);
                match self.made_up(ty, &own, attr) {
                    Some(made) => {
                        notes.push(format!(
                            "{written} → {made} (made up from the resource's name)"
                        ));
                        Ok(Value::String(made))
                    }
                    None => left(notes, "is an attribute asldbg does not make up"),
                }
            }
            _ => Err(format!("{written} is not a reference asldbg can read")),
        }
    }

    /// A block's own name as the file makes it (`"${var.prefix}-fn"`), or
    /// its label when it has none asldbg can read.
    fn own_name(&self, written: Option<&Expression>, label: &str, depth: usize) -> String {
        let mut quiet = Vec::new();
        match written.map(|e| self.value(e, &mut quiet, depth + 1)) {
            Some(Ok(Value::String(s))) if !s.contains("${") => s,
            _ => label.to_string(),
        }
    }

    /// The `attr` of a resource of type `ty` named `own`, made up.
    fn made_up(&self, ty: &str, own: &str, attr: &str) -> Option<String> {
        Some(match attr {
            "arn" | "qualified_arn" | "invoke_arn" => super::arn_of(cfn_type(ty), own, &self.place),
            // An SQS queue's id is its URL.
            "url" | "id_url" | "id" if ty == "aws_sqs_queue" => self.place.queue_url(own),
            "name" | "id" | "function_name" | "bucket" => own.to_string(),
            _ => return None,
        })
    }

    /// `data.TYPE.NAME.ATTR`: the region, partition and account take the
    /// values CloudFormation's pseudo parameters have (`--sub AWS::Region=…`
    /// sets them), a template_file its rendered text, any other data
    /// source's ARN or name is made up as a resource's is.
    fn data_source(
        &self,
        ty: &str,
        name: &str,
        attr: &str,
        written: &str,
        notes: &mut Vec<String>,
    ) -> Result<Value, String> {
        let pseudo = |v: &str, p: &str| {
            let note = format!("{written} → {v} (as CloudFormation's {p}; --sub {p}=… sets it)");
            (v.to_string(), note)
        };
        let (v, note) = match (ty, attr) {
            ("aws_region", "name" | "id" | "region") => pseudo(&self.place.region, "AWS::Region"),
            ("aws_partition", "partition" | "id") => {
                pseudo(&self.place.partition, "AWS::Partition")
            }
            ("aws_partition", "dns_suffix") => pseudo("amazonaws.com", "AWS::URLSuffix"),
            ("aws_caller_identity", "account_id" | "id") => {
                pseudo(&self.place.account, "AWS::AccountId")
            }
            ("aws_caller_identity", "arn") => {
                let arn = format!(
                    "arn:{}:iam::{}:root",
                    self.place.partition, self.place.account
                );
                (arn.clone(), format!("{written} → {arn} (made up)"))
            }
            ("template_file", "rendered") => {
                let Some(body) = self.data.get(&format!("template_file.{name}")) else {
                    return Err(format!("{written}: no such data source in this module"));
                };
                let attr = |k: &str| body.attributes().find(|a| a.key.as_str() == k);
                let Some(t) = attr("template") else {
                    return Err(format!("{written}: its template_file has no template"));
                };
                if matches!(&t.expr, Expression::FuncCall(f) if f.name.name.as_str() == "file") {
                    return Err(format!(
                        "{written} reads a file inside an expression: give it as the \
                         definition itself (definition = {written})"
                    ));
                }
                let text = self.text(&t.expr, notes, 0)?;
                let mut subs = Substitutions::default();
                if let Some(vars) = attr("vars") {
                    self.template_variables(&vars.expr, &mut subs, notes)?;
                }
                let filled = crate::asl::placeholders::fill_str(&text, &subs, &mut Vec::new());
                return self.made(Value::String(filled));
            }
            _ => {
                let block = self.data.get(&format!("{ty}.{name}"));
                let own = self.own_name(block.and_then(|b| own_name(b)), name, 0);
                let ty = ty.trim_start_matches("aws_");
                match self.made_up(&format!("aws_{ty}"), &own, attr) {
                    Some(v) => {
                        let note = format!("{written} → {v} (made up from the data source's name)");
                        (v, note)
                    }
                    None => {
                        notes.push(format!(
                            "{written} is a data source asldbg does not read: it is left as written"
                        ));
                        return Ok(Value::String(format!("${{{written}}}")));
                    }
                }
            }
        };
        notes.push(note);
        Ok(Value::String(v))
    }
}

/// Terraform's functions that a definition uses most, on evaluated arguments.
fn call(name: &str, args: Vec<Value>) -> Result<Value, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match (name, args.as_slice()) {
        ("jsonencode", [x]) => Value::String(x.to_string()),
        ("jsondecode", [Value::String(s)]) => {
            serde_json::from_str(s).map_err(|e| format!("jsondecode: {e}"))?
        }
        ("tostring", [x]) => Value::String(text(x)),
        ("tonumber", [Value::String(s)]) => serde_json::from_str::<Number>(s.trim())
            .map(Value::Number)
            .map_err(|_| format!("tonumber: '{s}' is not a number"))?,
        ("tonumber", [n @ Value::Number(_)]) => n.clone(),
        ("lower", [Value::String(s)]) => Value::String(s.to_lowercase()),
        ("upper", [Value::String(s)]) => Value::String(s.to_uppercase()),
        ("replace", [Value::String(s), Value::String(from), Value::String(to)]) => {
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return Err("replace with a regular expression is not evaluated here".into());
            }
            Value::String(s.replace(from.as_str(), to))
        }
        ("join", [Value::String(sep), Value::Array(items)]) => {
            Value::String(items.iter().map(text).collect::<Vec<_>>().join(sep))
        }
        ("concat", lists) if lists.iter().all(Value::is_array) => Value::Array(
            lists
                .iter()
                .flat_map(|l| l.as_array().into_iter().flatten().cloned())
                .collect(),
        ),
        ("merge", maps) if maps.iter().all(|m| m.is_object() || m.is_null()) => {
            let mut out = Map::new();
            for m in maps.iter().filter_map(Value::as_object) {
                for (k, v) in m {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
        ("lookup", [Value::Object(m), Value::String(k), rest @ ..]) if rest.len() <= 1 => {
            match (m.get(k), rest.first()) {
                (Some(v), _) => v.clone(),
                (None, Some(default)) => default.clone(),
                (None, None) => return Err(format!("lookup: no key '{k}'")),
            }
        }
        ("format", [Value::String(f), rest @ ..]) => Value::String(format_verbs(f, rest)?),
        (other, _) => {
            return Err(format!(
                "the function {other}() (with these arguments) is not evaluated here"
            ))
        }
    })
}

/// Terraform's `format`: `%s` `%v` `%d` `%f` `%t` `%q` and `%%`.
fn format_verbs(f: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = f.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars.next().ok_or("format: a '%' at the end")?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = next
            .next()
            .ok_or_else(|| format!("format: no value for %{verb}"))?;
        match (verb, arg) {
            ('s' | 'v', Value::String(s)) => out.push_str(s),
            ('s' | 'v' | 'd' | 'f' | 't', other) if !other.is_string() => {
                out.push_str(&other.to_string())
            }
            ('q', other) => out.push_str(
                &Value::String(match other {
                    Value::String(s) => s.clone(),
                    o => o.to_string(),
                })
                .to_string(),
            ),
            _ => return Err(format!("format: %{verb} with {arg} is not evaluated here")),
        }
    }
    Ok(out)
}

/// The CloudFormation type of a Terraform resource type (for its ARN).
fn cfn_type(ty: &str) -> &'static str {
    match ty {
        "aws_lambda_function" => "AWS::Lambda::Function",
        "aws_sqs_queue" => "AWS::SQS::Queue",
        "aws_sns_topic" => "AWS::SNS::Topic",
        "aws_dynamodb_table" => "AWS::DynamoDB::Table",
        "aws_s3_bucket" => "AWS::S3::Bucket",
        "aws_sfn_state_machine" => "AWS::StepFunctions::StateMachine",
        "aws_sfn_activity" => "AWS::StepFunctions::Activity",
        "aws_cloudwatch_event_bus" => "AWS::Events::EventBus",
        "aws_iam_role" => "AWS::IAM::Role",
        "aws_ecs_cluster" => "AWS::ECS::Cluster",
        "aws_ecs_task_definition" => "AWS::ECS::TaskDefinition",
        "aws_batch_job_queue" => "AWS::Batch::JobQueue",
        "aws_batch_job_definition" => "AWS::Batch::JobDefinition",
        _ => "",
    }
}

fn number(n: &hcl::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture the CLI tests run: three machines, the three ways.
    const TF: &str = include_str!("../../../tests/fixtures/templates/terraform/main.tf");

    /// A module as Terraform projects write one: variables in their own
    /// file, values in terraform.tfvars, the definition rendered by a
    /// template_file data source, ARNs built from data sources.
    #[test]
    fn a_module_with_data_sources_variables_files_and_tfvars_is_read() {
        let main = r#"
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "template_file" "sfn" {
  template = file("${path.module}/sm.asl.json")
  vars = {
    fn_arn = "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:${var.prefix}-fn"
  }
}

data "template_file" "inline" {
  template = <<EOT
{"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "$${who}", "End": true}}}
EOT
  vars = { who = var.who }
}

resource "aws_sfn_state_machine" "main" {
  name       = "${var.prefix}-machine"
  role_arn   = aws_iam_role.sfn[0].arn
  definition = data.template_file.sfn.rendered
}

resource "aws_sfn_state_machine" "inline" {
  name = "inline"
  definition = jsonencode({
    StartAt = "A"
    States = { A = { Type = "Pass", Result = data.template_file.inline.rendered, End = true } }
  })
}
"#;
        let module = Module {
            files: vec![
                (
                    "variables.tf".into(),
                    "variable \"prefix\" { default = \"dev\" }\nvariable \"who\" {}\n".into(),
                ),
                (
                    "terraform.tfvars".into(),
                    "prefix = \"prod\"\nwho = \"ann\"\n".into(),
                ),
            ],
        };
        let mut given = Substitutions::default();
        given.set("AWS::Region", Value::String("eu-west-1".into()));
        let found = machines(main, &module, &given).unwrap();
        assert_eq!(found.len(), 2);
        let m = &found[0];
        let Body::File(path) = &m.body else {
            panic!("a template_file of a file names the file: {:?}", m.body);
        };
        assert_eq!(path, "./sm.asl.json");
        assert_eq!(
            m.substitutions.get("fn_arn"),
            Some(Value::String(
                "arn:aws:lambda:eu-west-1:123456789012:function:prod-fn".into()
            ))
        );
        assert_eq!(m.deployed.as_deref(), Some("prod-machine"));
        // Where `definition =` stands: errors are placed there, not at 1:1.
        assert_eq!(m.position, Some((23, 3)));
        assert!(
            m.notes
                .iter()
                .any(|n| n.contains("data.aws_region.current.name → eu-west-1")),
            "{:?}",
            m.notes
        );
        let Body::Object(d) = &found[1].body else {
            panic!("jsonencode gives an object");
        };
        let rendered: Value =
            serde_json::from_str(d["States"]["A"]["Result"].as_str().unwrap()).unwrap();
        assert_eq!(rendered["States"]["A"]["Result"], "ann");
    }

    #[test]
    fn a_module_file_that_does_not_parse_is_named_with_its_position() {
        let module = Module {
            files: vec![("vars.tf".into(), "variable \"x\" {\n  default = \n".into())],
        };
        let e = machines("", &module, &Substitutions::default()).unwrap_err();
        assert_eq!(e.file.as_deref(), Some("vars.tf"));
        assert!(e.line >= 2, "{e:?}");
    }

    #[test]
    fn a_name_declared_twice_is_placed_at_its_second_declaration() {
        // A variable twice in the file named.
        let main = "variable \"region\" {\n  default = \"a\"\n}\n\n  variable \"region\" {\n  default = \"b\"\n}\n";
        let e = machines(main, &Module::default(), &Substitutions::default()).unwrap_err();
        assert_eq!((e.file.as_deref(), e.line, e.column), (None, 5, 3), "{e:?}");
        assert!(e.message.contains("'region' is declared twice"), "{e:?}");
        // A local in another file of the module, then again in the file
        // named (a `name =` elsewhere is not a local).
        let module = Module {
            files: vec![(
                "locals.tf".into(),
                "resource \"x\" \"y\" {\n  name = 1\n}\nlocals {\n  name = \"a\"\n}\n".into(),
            )],
        };
        let main = "# ünïcode\nlocals {\n  other = { name = 2 }\n    name = \"b\"\n}\n";
        let e = machines(main, &module, &Substitutions::default()).unwrap_err();
        assert_eq!((e.file.as_deref(), e.line, e.column), (None, 4, 5), "{e:?}");
        assert!(e.message.contains("'name' is defined twice"), "{e:?}");
        // Both in the other file: named there.
        let module = Module {
            files: vec![(
                "vars.tf".into(),
                "variable \"v\" {\n default = 1\n}\nvariable v {\n default = 2\n}\n".into(),
            )],
        };
        let e = machines("", &module, &Substitutions::default()).unwrap_err();
        assert_eq!(
            (e.file.as_deref(), e.line, e.column),
            (Some("vars.tf"), 4, 1),
            "{e:?}"
        );
    }

    #[test]
    fn state_machines_are_read_with_their_references() {
        let mut given = Substitutions::default();
        given.set("env", Value::String("prod".into()));
        let found = machines(TF, &Module::default(), &given).unwrap();
        let names: Vec<&str> = found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["orders", "greeting", "templated"]);
        let orders = &found[0];
        assert!(orders.express);
        assert!(!found[1].express);
        let Body::Object(def) = &orders.body else {
            panic!("jsonencode gives an object: {:?}", orders.body);
        };
        assert_eq!(def["Comment"], "Orders for orders-prod");
        assert_eq!(
            def["States"]["Check"]["Resource"],
            "arn:aws:lambda:us-east-1:123456789012:function:check-order"
        );
        assert_eq!(def["States"]["Wait"]["Seconds"], 2);
        assert_eq!(
            def["States"]["Send"]["Parameters"]["QueueUrl"],
            "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq"
        );
        assert!(orders
            .notes
            .iter()
            .any(|n| n.contains("aws_lambda_function.check.arn")));
        let Body::Text(t) = &found[1].body else {
            panic!("a heredoc is text");
        };
        assert!(t.contains(r#""env": "prod""#), "{t}");
        let Body::File(path) = &found[2].body else {
            panic!("templatefile names a file");
        };
        assert_eq!(path, "./templated.asl.json");
        assert_eq!(
            found[2].substitutions.get("queue_arn"),
            Some(Value::String(
                "arn:aws:sqs:us-east-1:123456789012:orders-dlq".into()
            ))
        );
        assert_eq!(
            found[2].substitutions.get("seconds"),
            Some(Value::String("3".into()))
        );
    }

    #[test]
    fn the_functions_a_definition_uses_most_are_evaluated() {
        let tf = r#"
locals {
  base   = { Type = "Pass", End = true }
  names  = ["a", "b"]
}
resource "aws_sfn_state_machine" "f" {
  definition = jsonencode({
    StartAt = "A"
    States = {
      A = merge(local.base, { Result = {
        f = format("%s-%d %q %%", "x", 3, "y")
        j = join(",", concat(local.names, ["c"]))
        l = lookup({ k = 1 }, "nope", "dflt")
        r = upper(replace("a.b", ".", "_"))
        n = tonumber("12")
        s = tostring(true)
        d = jsondecode("{\"z\": [1]}")
      } })
    }
  })
}
"#;
        let found = machines(tf, &Module::default(), &Substitutions::default()).unwrap();
        let Body::Object(def) = &found[0].body else {
            panic!("{:?}", found[0].body);
        };
        let a = &def["States"]["A"];
        assert_eq!(a["Type"], "Pass");
        assert_eq!(a["End"], true);
        let r = &a["Result"];
        assert_eq!(r["f"], "x-3 \"y\" %");
        assert_eq!(r["j"], "a,b,c");
        assert_eq!(r["l"], "dflt");
        assert_eq!(r["r"], "A_B");
        assert_eq!(r["n"], 12);
        assert_eq!(r["s"], "true");
        assert_eq!(r["d"]["z"][0], 1);
        assert!(call("replace", vec!["a".into(), "/a/".into(), "b".into()]).is_err());
        assert!(format_verbs("%d", &[]).is_err());
    }

    #[test]
    fn locals_are_evaluated_once_and_what_they_expand_to_is_bounded() {
        let none = Substitutions::default();
        // 40 locals, each naming the one before twice: 2^40 characters,
        // and as many evaluations, unbounded.
        let mut tf = String::from("locals {\n  l0 = \"x\"\n");
        for i in 1..=40 {
            tf.push_str(&format!(
                "  l{i} = \"${{local.l{}}}${{local.l{}}}\"\n",
                i - 1,
                i - 1
            ));
        }
        tf.push_str("}\nresource \"aws_sfn_state_machine\" \"m\" { definition = local.l40 }\n");
        let t = std::time::Instant::now();
        let found = machines(&tf, &Module::default(), &none).unwrap();
        assert!(
            matches!(&found[0].body, Body::Unreadable(m) if m.contains("expand past 8 MiB")),
            "{:?}",
            found[0].body
        );
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        // The same with lists (concat).
        let mut tf = String::from("locals {\n  c0 = [\"x\"]\n");
        for i in 1..=40 {
            tf.push_str(&format!(
                "  c{i} = concat(local.c{}, local.c{})\n",
                i - 1,
                i - 1
            ));
        }
        tf.push_str(
            "}\nresource \"aws_sfn_state_machine\" \"m\" { definition = jsonencode(local.c40) }\n",
        );
        let found = machines(&tf, &Module::default(), &none).unwrap();
        assert!(matches!(&found[0].body, Body::Unreadable(m) if m.contains("expand past")));
        // A local named many times is one evaluation, and small stays whole.
        let found = machines("locals {\n  s = \"Pass\"\n}\nresource \"aws_sfn_state_machine\" \"m\" { definition = jsonencode({ StartAt = \"A\", States = { A = { Type = local.s, End = true }, B = { Type = local.s } } }) }\n",
            &Module::default(),
            &none,
        )
        .unwrap();
        assert!(
            matches!(&found[0].body, Body::Object(_)),
            "{:?}",
            found[0].body
        );
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        let none = Substitutions::default();
        let e = machines(
            "resource \"aws_sfn_state_machine\" \"x\" {\n  definition = \n}",
            &Module::default(),
            &none,
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (2, 16), "{e:?}");
        let found = machines(
            r#"
locals { a = local.a }
resource "aws_sfn_state_machine" "loop" { definition = local.a }
resource "aws_sfn_state_machine" "func" { definition = jsonencode(cidrsubnet("10.0.0.0/16", 8, 1)) }
resource "aws_sfn_state_machine" "none" { name = "n" }
resource "aws_sfn_state_machine" "var" { definition = jsonencode({ StartAt = var.start }) }
"#,
            &Module::default(),
            &none,
        )
        .unwrap();
        let said: Vec<String> = found
            .iter()
            .map(|f| match &f.body {
                Body::Unreadable(m) => m.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        assert!(said[0].contains("local.a refers to itself"), "{}", said[0]);
        assert!(
            said[1].contains("cidrsubnet() (with these arguments) is not evaluated"),
            "{}",
            said[1]
        );
        assert!(said[2].contains("has no definition"), "{}", said[2]);
        // A variable with no default and no --sub stays a placeholder, said in a note.
        assert!(said[3].contains("${var.start}"), "{}", said[3]);
        assert!(found[3]
            .notes
            .iter()
            .any(|n| n.contains("--sub start=VALUE")));
    }
    #[test]
    fn a_name_made_from_variables_names_the_arn_and_a_null_default_is_no_value() {
        let tf = r#"
variable "prefix" { default = "shop" }
variable "topic" { default = null }
resource "aws_lambda_function" "check" {
  function_name = "${var.prefix}-check"
}
resource "aws_sfn_state_machine" "m" {
  name = "m"
  definition = jsonencode({
    StartAt = "A"
    States = {
      A = { Type = "Task", Resource = aws_lambda_function.check.arn, Next = "B" }
      B = { Type = "Pass", Result = { topic = "${var.topic}" }, End = true }
    }
  })
}
"#;
        let found = machines(tf, &Module::default(), &Substitutions::default()).unwrap();
        let Body::Object(def) = &found[0].body else {
            panic!("{:?}", found[0].body);
        };
        assert_eq!(
            def["States"]["A"]["Resource"],
            "arn:aws:lambda:us-east-1:123456789012:function:shop-check"
        );
        // Not the text "null": left as written, and the note says how to
        // give it.
        assert_eq!(def["States"]["B"]["Result"]["topic"], "${var.topic}");
        assert!(
            found[0]
                .notes
                .iter()
                .any(|n| n.contains("--sub topic=VALUE")),
            "{:?}",
            found[0].notes
        );
    }
    #[test]
    fn module_blocks_on_disk_are_found_with_their_lines_and_literal_arguments() {
        let tf = "module \"a\" {\n  source = \"./m\"\n  n = 5\n  x = var.y\n}\n\
                  module \"remote\" {\n  source = \"terraform-aws-modules/x\"\n}\n\
                  module \"b\" {\n  source = \"../up\"\n  on = true\n}\n";
        let found = local_modules(tf);
        assert_eq!(
            found,
            [
                LocalModule {
                    name: "a".into(),
                    source: "./m".into(),
                    line: 1,
                    arguments: vec![("n".into(), "5".into())],
                },
                LocalModule {
                    name: "b".into(),
                    source: "../up".into(),
                    line: 9,
                    arguments: vec![("on".into(), "true".into())],
                },
            ]
        );
    }
}
