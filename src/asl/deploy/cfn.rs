//! CloudFormation's intrinsic functions, resolved as far as a template alone
//! allows: parameters take their defaults (or `--sub` values), pseudo
//! parameters their stand-ins, and a reference to a resource becomes the
//! readable name or ARN that resource would have, with a note saying so.

use super::super::placeholders::{Place, Substitutions};
use serde_json::{Map, Value};

/// What the intrinsics of one template can see.
pub struct Cfn<'a> {
    pub template: &'a Value,
    /// `--sub` values: they win over parameter defaults.
    pub given: &'a Substitutions,
    /// The region and account resources are made up in.
    place: Place,
    /// What could only be approximated, one line each.
    pub notes: Vec<String>,
    /// Bytes of text the functions produced so far (see
    /// [`super::MAX_EXPANSION`]).
    produced: usize,
    /// Why resolving stopped: what it produced passed the bound.
    pub over: Option<String>,
    noted: std::collections::HashSet<String>,
    /// How many resources' names are being resolved, one inside another.
    naming: usize,
}

impl<'a> Cfn<'a> {
    pub fn new(template: &'a Value, given: &'a Substitutions) -> Cfn<'a> {
        Cfn {
            template,
            given,
            place: given.place(),
            notes: Vec::new(),
            produced: 0,
            over: None,
            noted: Default::default(),
            naming: 0,
        }
    }

    /// `n` more bytes were produced; false (and `over` said) past the bound.
    fn grow(&mut self, n: usize) -> bool {
        self.produced = self.produced.saturating_add(n);
        if self.produced > super::MAX_EXPANSION && self.over.is_none() {
            self.over = Some(format!(
                "the template's functions (Fn::Sub, Ref, Fn::Join…) expand this machine past {} \
                 MiB; a definition is at most 1 MB (AWS's quota)",
                super::MAX_EXPANSION >> 20
            ));
        }
        self.over.is_none()
    }
}

fn resources(t: &Value) -> Option<&Map<String, Value>> {
    t.get("Resources")?.as_object()
}

/// The properties that give a resource its own name.
const NAME_PROPERTIES: [&str; 10] = [
    "FunctionName",
    "QueueName",
    "TopicName",
    "TableName",
    "BucketName",
    "StateMachineName",
    "Name",
    "EventBusName",
    "ClusterName",
    "JobName",
];

impl Cfn<'_> {
    /// A resource's own name when its template gives one (`FunctionName:
    /// !Sub "${Stage}-check"` resolved too).
    fn given_name(&mut self, res: &Value) -> Option<String> {
        let p = res.get("Properties")?;
        let v = NAME_PROPERTIES.iter().find_map(|k| p.get(*k))?;
        if let Value::String(s) = v {
            return Some(s.clone());
        }
        // Names built from other resources' names stop at a few levels
        // (a name that names itself would go on for ever).
        if self.naming > 8 {
            return None;
        }
        self.naming += 1;
        let notes = self.notes.len();
        let r = self.resolve(v);
        self.naming -= 1;
        for n in self.notes.split_off(notes) {
            self.noted.remove(&n);
        }
        match r {
            Value::String(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    fn note(&mut self, s: String) {
        // Each note once, found by hash (80,000 distinct Refs were 80,000
        // scans of the notes so far).
        if self.noted.insert(s.clone()) {
            self.notes.push(s);
        }
    }

    /// The value of `Ref: name`.
    fn reference(&mut self, name: &str) -> Value {
        // A value given (`--sub AWS::Region=eu-west-1` too), or a pseudo
        // parameter's stand-in.
        if let Some(v) = self.given.get(name) {
            return v;
        }
        if let Some(param) = self.template.pointer(&format!(
            "/Parameters/{}",
            crate::asl::json::pointer_token(name)
        )) {
            if let Some(d) = param.get("Default") {
                let v = match d {
                    Value::String(_) | Value::Number(_) | Value::Bool(_) => d.clone(),
                    other => Value::String(other.to_string()),
                };
                let n = v.as_str().map_or(8, str::len);
                return if self.grow(n) {
                    v
                } else {
                    Value::String(String::new())
                };
            }
            // Unknown until deployed: a placeholder, as `${X}` in a
            // definition file is (validate warns of it; a Resource that
            // is one is not taken for a malformed ARN).
            self.note(format!(
                "parameter {name} has no Default: pass --sub {name}=VALUE (it stays ${{{name}}})"
            ));
            return Value::String(format!("${{{name}}}"));
        }
        let Some(res) = resources(self.template).and_then(|r| r.get(name)) else {
            self.note(format!(
                "Ref {name}: no such parameter or resource (it stays ${{{name}}})"
            ));
            return Value::String(format!("${{{name}}}"));
        };
        let ty = res.get("Type").and_then(|t| t.as_str()).unwrap_or("");
        let id = self.given_name(res).unwrap_or(name.to_string());
        // What Ref returns for the resource types state machines call.
        let v = match ty {
            "AWS::SQS::Queue" => self.place.queue_url(&id),
            "AWS::SNS::Topic"
            | "AWS::StepFunctions::StateMachine"
            | "AWS::Serverless::StateMachine"
            | "AWS::StepFunctions::Activity" => arn_of(ty, &id, &self.place),
            _ => id,
        };
        self.note(format!("Ref {name} ({ty}) stands as {v}"));
        Value::String(v)
    }

    /// The value of `Fn::GetAtt: [name, attribute]`.
    fn attribute(&mut self, name: &str, attr: &str) -> Value {
        let res = resources(self.template).and_then(|r| r.get(name));
        let ty = res
            .and_then(|r| r.get("Type"))
            .and_then(|t| t.as_str())
            .unwrap_or("");
        let id = res
            .and_then(|r| self.given_name(r))
            .unwrap_or(name.to_string());
        let v = match (ty, attr) {
            (_, "Name" | "QueueName" | "TopicName" | "FunctionName") => id,
            ("AWS::SQS::Queue", "QueueUrl") => self.place.queue_url(&id),
            (_, "Arn" | "TopicArn" | "StateMachineArn" | "FunctionArn") => {
                arn_of(ty, &id, &self.place)
            }
            // What only the deployed stack knows stays a placeholder.
            _ => format!("${{{name}.{attr}}}"),
        };
        self.note(format!("GetAtt {name}.{attr} stands as {v}"));
        Value::String(v)
    }

    /// `Fn::Sub`'s text with `${Name}`, `${Res.Attr}` and the given
    /// variables filled (`${!X}` stays `${X}`).
    fn sub(&mut self, text: &str, vars: &Map<String, Value>) -> String {
        let mut out = String::new();
        let mut rest = text;
        // Each variable is resolved once, however often the text names it.
        let mut resolved: std::collections::HashMap<&str, Value> = Default::default();
        while let Some(i) = rest.find("${") {
            if self.over.is_some() {
                return String::new();
            }
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(j) = after.find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            let name = &after[..j];
            rest = &after[j + 1..];
            if let Some(lit) = name.strip_prefix('!') {
                out.push_str(&format!("${{{lit}}}"));
                continue;
            }
            let v = match vars.get_key_value(name) {
                Some((k, v)) => match resolved.get(k.as_str()) {
                    Some(done) => done.clone(),
                    None => {
                        let done = self.resolve(v);
                        resolved.insert(k.as_str(), done.clone());
                        done
                    }
                },
                None => match name.split_once('.') {
                    Some((r, a))
                        if resources(self.template).is_some_and(|rs| rs.contains_key(r)) =>
                    {
                        self.attribute(r, a)
                    }
                    _ => self.reference(name),
                },
            };
            let piece = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            if !self.grow(piece.len()) {
                return String::new();
            }
            out.push_str(&piece);
        }
        out.push_str(rest);
        out
    }

    /// The template's condition `name` (`Conditions`), evaluated on the
    /// parameters' values and the pseudo parameters; `None` when it uses
    /// what cannot be known here.
    fn condition(&mut self, name: &str, depth: usize) -> Option<bool> {
        let rule = self
            .template
            .pointer(&format!(
                "/Conditions/{}",
                crate::asl::json::pointer_token(name)
            ))?
            .clone();
        self.truth(&rule, depth + 1)
    }

    /// A condition function's value (`Fn::Equals`, `Fn::Not`, `Fn::And`,
    /// `Fn::Or`, `Condition`).
    fn truth(&mut self, rule: &Value, depth: usize) -> Option<bool> {
        // Conditions naming each other in a circle stop here.
        if depth > 32 {
            return None;
        }
        let (f, arg) = rule.as_object().filter(|o| o.len() == 1)?.iter().next()?;
        match f.as_str() {
            "Condition" => self.condition(arg.as_str()?, depth),
            "Fn::Equals" => {
                let p = arg.as_array().filter(|p| p.len() == 2)?;
                let notes = self.notes.len();
                let (a, b) = (self.resolve(&p[0]), self.resolve(&p[1]));
                // A value that only stands in (a resource's made-up name)
                // cannot decide anything.
                if self.notes.len() > notes {
                    for n in self.notes.split_off(notes) {
                        self.noted.remove(&n);
                    }
                    return None;
                }
                let text = |v: Value| match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                Some(text(a) == text(b))
            }
            "Fn::Not" => Some(!self.truth(arg.as_array()?.first()?, depth + 1)?),
            "Fn::And" => {
                let mut all = true;
                for c in arg.as_array()? {
                    all &= self.truth(c, depth + 1)?;
                }
                Some(all)
            }
            "Fn::Or" => {
                let mut any = false;
                for c in arg.as_array()? {
                    any |= self.truth(c, depth + 1)?;
                }
                Some(any)
            }
            _ => None,
        }
    }

    /// `v` with every intrinsic function in it resolved.
    pub fn resolve(&mut self, v: &Value) -> Value {
        if self.over.is_some() {
            return Value::Null;
        }
        match v {
            Value::Array(a) => Value::Array(a.iter().map(|x| self.resolve(x)).collect()),
            Value::Object(o) if o.len() == 1 => {
                let (k, arg) = o.iter().next().expect("one entry");
                match self.function(k, arg) {
                    Some(r) => r,
                    None => Value::Object(
                        o.iter()
                            .map(|(k, x)| (k.clone(), self.resolve(x)))
                            .collect(),
                    ),
                }
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.resolve(x)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn function(&mut self, f: &str, arg: &Value) -> Option<Value> {
        let s = |v: Value| match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        Some(match f {
            "Ref" => self.reference(arg.as_str()?),
            "Fn::GetAtt" => {
                let (r, a) = match arg {
                    Value::String(t) => t.split_once('.')?,
                    Value::Array(p) if p.len() == 2 => (p[0].as_str()?, p[1].as_str()?),
                    _ => return None,
                };
                let (r, a) = (r.to_string(), a.to_string());
                self.attribute(&r, &a)
            }
            "Fn::Sub" => {
                let (text, vars) = match arg {
                    Value::String(t) => (t.clone(), Map::new()),
                    Value::Array(p) if p.len() == 2 => {
                        (p[0].as_str()?.to_string(), p[1].as_object()?.clone())
                    }
                    _ => return None,
                };
                Value::String(self.sub(&text, &vars))
            }
            "Fn::Join" => {
                let p = arg.as_array()?;
                let sep = p.first()?.as_str()?.to_string();
                let parts = self.resolve(p.get(1)?);
                let parts: Vec<String> = parts.as_array()?.iter().cloned().map(s).collect();
                let joined = parts.join(&sep);
                if !self.grow(joined.len()) {
                    return Some(Value::Null);
                }
                Value::String(joined)
            }
            "Fn::Select" => {
                let p = arg.as_array()?;
                let i = s(self.resolve(p.first()?)).parse::<usize>().ok()?;
                let list = self.resolve(p.get(1)?);
                list.as_array()?.get(i)?.clone()
            }
            "Fn::Split" => {
                let p = arg.as_array()?;
                let sep = p.first()?.as_str()?.to_string();
                let text = s(self.resolve(p.get(1)?));
                Value::Array(
                    text.split(sep.as_str())
                        .map(|x| Value::String(x.into()))
                        .collect(),
                )
            }
            "Fn::FindInMap" => {
                let p = arg.as_array()?;
                let keys: Vec<String> = p.iter().map(|k| s(self.resolve(k))).collect();
                let ptr = keys
                    .iter()
                    .map(|k| format!("/{}", crate::asl::json::pointer_token(k)))
                    .collect::<String>();
                self.template.pointer(&format!("/Mappings{ptr}"))?.clone()
            }
            "Fn::If" => {
                let p = arg.as_array()?;
                let cond = p.first()?.as_str().unwrap_or("?");
                match self.condition(cond, 0) {
                    Some(true) => self.resolve(p.get(1)?),
                    Some(false) => self.resolve(p.get(2)?),
                    None => {
                        self.note(format!(
                            "Fn::If {cond}: the condition cannot be evaluated here; its true \
                             branch stands"
                        ));
                        self.resolve(p.get(1)?)
                    }
                }
            }
            "Fn::ImportValue" => {
                let name = s(self.resolve(arg));
                self.note(format!(
                    "Fn::ImportValue {name}: another stack's export (it stays ${{{name}}})"
                ));
                Value::String(format!("${{{name}}}"))
            }
            "Fn::Base64" => {
                use base64::Engine;
                let text = s(self.resolve(arg));
                if !self.grow(text.len() / 3 * 4 + 4) {
                    return Some(Value::Null);
                }
                Value::String(base64::engine::general_purpose::STANDARD.encode(text))
            }
            _ => return None,
        })
    }
}

/// The ARN a resource of type `ty` named `id` would have in `place`.
pub fn arn_of(ty: &str, id: &str, place: &Place) -> String {
    let arn = |service: &str, rest: &str| place.arn(service, rest);
    match ty {
        "AWS::Lambda::Function" | "AWS::Serverless::Function" | "" => {
            arn("lambda", &format!("function:{id}"))
        }
        "AWS::SQS::Queue" => arn("sqs", id),
        "AWS::SNS::Topic" => arn("sns", id),
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => {
            arn("dynamodb", &format!("table/{id}"))
        }
        "AWS::S3::Bucket" => format!("arn:{}:s3:::{id}", place.partition),
        "AWS::StepFunctions::StateMachine" | "AWS::Serverless::StateMachine" => {
            arn("states", &format!("stateMachine:{id}"))
        }
        "AWS::StepFunctions::Activity" => arn("states", &format!("activity:{id}")),
        "AWS::Events::EventBus" => arn("events", &format!("event-bus/{id}")),
        "AWS::IAM::Role" => format!("arn:{}:iam::{}:role/{id}", place.partition, place.account),
        "AWS::ECS::Cluster" => arn("ecs", &format!("cluster/{id}")),
        "AWS::ECS::TaskDefinition" => arn("ecs", &format!("task-definition/{id}")),
        "AWS::Batch::JobQueue" => arn("batch", &format!("job-queue/{id}")),
        "AWS::Batch::JobDefinition" => arn("batch", &format!("job-definition/{id}")),
        other => {
            let service = other
                .split("::")
                .nth(1)
                .unwrap_or("resource")
                .to_ascii_lowercase();
            arn(&service, id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_evaluated_on_parameters_and_pseudo_parameters() {
        let t = json!({
            "Parameters": {"Stage": {"Type": "String", "Default": "prod"}, "Free": {"Type": "String"}},
            "Conditions": {
                "IsChinaRegion": {"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-cn"]},
                "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
                "ProdOutsideChina": {"Fn::And": [{"Condition": "IsProd"}, {"Fn::Not": [{"Condition": "IsChinaRegion"}]}]},
                "Either": {"Fn::Or": [{"Condition": "IsChinaRegion"}, {"Fn::Equals": ["a", "b"]}]},
                "Unknown": {"Fn::Equals": [{"Ref": "Free"}, "x"]},
                "Loop": {"Condition": "Loop"}
            }
        });
        let given = Substitutions::default();
        let mut c = Cfn::new(&t, &given);
        let pick = |c: &mut Cfn, cond: &str| c.resolve(&json!({"Fn::If": [cond, "yes", "no"]}));
        assert_eq!(
            c.resolve(&json!({"Fn::If": ["IsChinaRegion", "amazonaws.com.cn", "amazonaws.com"]})),
            "amazonaws.com"
        );
        assert_eq!(pick(&mut c, "IsProd"), "yes");
        assert_eq!(pick(&mut c, "ProdOutsideChina"), "yes");
        assert_eq!(pick(&mut c, "Either"), "no");
        assert!(c.notes.is_empty(), "{:?}", c.notes);
        // What cannot be known takes the first branch, and says so.
        assert_eq!(pick(&mut c, "Unknown"), "yes");
        assert_eq!(pick(&mut c, "Loop"), "yes");
        assert_eq!(c.notes.len(), 2, "{:?}", c.notes);
        // --sub reaches the pseudo parameters.
        let mut given = Substitutions::default();
        given.set("AWS::Partition", json!("aws-cn"));
        given.set("AWS::Region", json!("cn-north-1"));
        let mut c = Cfn::new(&t, &given);
        assert_eq!(pick(&mut c, "IsChinaRegion"), "yes");
        assert_eq!(
            c.resolve(&json!({"Fn::Sub": "${AWS::Region}"})),
            "cn-north-1"
        );
    }

    #[test]
    fn nested_subs_and_a_large_default_used_often_are_bounded_not_expanded_without_end() {
        // 40 levels, each naming the next twice: 2^40 characters unbounded.
        let mut v = json!("x");
        for _ in 0..40 {
            v = json!({"Fn::Sub": ["${V}${V}", {"V": v}]});
        }
        let t = json!({});
        let given = Substitutions::default();
        let mut c = Cfn::new(&t, &given);
        let started = std::time::Instant::now();
        c.resolve(&v);
        assert!(
            c.over.as_deref().is_some_and(|m| m.contains("past 8 MiB")),
            "{:?}",
            c.over
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        // A 10 KB default named 20,000 times (200 MB unbounded).
        let t = json!({"Parameters": {"Big": {"Type": "String", "Default": "y".repeat(10_000)}}});
        let mut c = Cfn::new(&t, &given);
        let refs: Vec<Value> = (0..20_000).map(|_| json!({"Ref": "Big"})).collect();
        c.resolve(&Value::Array(refs));
        assert!(c.over.is_some());
        // What real templates do stays well within.
        let t = json!({"Parameters": {"Stage": {"Type": "String", "Default": "dev"}}});
        let mut c = Cfn::new(&t, &given);
        let r = c.resolve(&json!({"Fn::Sub": ["${A}-${A}-${Stage}", {"A": {"Ref": "Stage"}}]}));
        assert_eq!((r, c.over), (json!("dev-dev-dev"), None));
    }
    use serde_json::json;

    #[test]
    fn intrinsics_resolve_to_readable_values_with_notes() {
        let t = json!({
            "Parameters": {"Stage": {"Type": "String", "Default": "dev"}, "NoDefault": {"Type": "String"}},
            "Mappings": {"M": {"dev": {"Size": 3}}},
            "Resources": {
                "Fn": {"Type": "AWS::Serverless::Function"},
                "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "real-name"}},
                "Q": {"Type": "AWS::SQS::Queue"}}});
        let given = Substitutions::default();
        let mut c = Cfn::new(&t, &given);
        let v = c.resolve(&json!({
            "a": {"Fn::GetAtt": ["Fn", "Arn"]},
            "b": {"Fn::Sub": "${Named.Arn}/${Stage}/${AWS::Region}/${!Keep}"},
            "c": {"Fn::Join": ["-", ["x", {"Ref": "Stage"}, {"Ref": "Q"}]]},
            "d": {"Fn::FindInMap": ["M", {"Ref": "Stage"}, "Size"]},
            "e": {"Fn::Sub": ["${X}!", {"X": {"Fn::Select": [1, {"Fn::Split": [",", "p,q"]}]}}]},
            "f": {"Ref": "NoDefault"}
        }));
        assert_eq!(
            v,
            json!({
                "a": "arn:aws:lambda:us-east-1:123456789012:function:Fn",
                "b": "arn:aws:lambda:us-east-1:123456789012:function:real-name/dev/us-east-1/${Keep}",
                "c": "x-dev-https://sqs.us-east-1.amazonaws.com/123456789012/Q",
                "d": 3,
                "e": "q!",
                "f": "${NoDefault}"
            })
        );
        assert!(
            c.notes.iter().any(|n| n.contains("GetAtt Fn.Arn")),
            "{:?}",
            c.notes
        );
        assert!(
            c.notes.iter().any(|n| n.contains("--sub NoDefault=")),
            "{:?}",
            c.notes
        );
    }
}
