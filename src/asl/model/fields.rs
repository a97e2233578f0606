//! Which fields each state type allows in each query language.

use super::QueryLanguage;

const COMMON: &[&str] = &["Type", "Comment", "QueryLanguage"];

/// The fields a state of `type_name` may have in `ql` (None: no such type),
/// worked out once per type and language.
pub(super) fn allowed(type_name: &str, ql: QueryLanguage) -> Option<&'static [&'static str]> {
    type Table = Vec<((&'static str, bool), Vec<&'static str>)>;
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = Vec::new();
        for ty in [
            "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map",
        ] {
            for (jp, ql) in [
                (true, QueryLanguage::JsonPath),
                (false, QueryLanguage::Jsonata),
            ] {
                if let Some(f) = fields_of(ty, ql) {
                    t.push(((ty, jp), f));
                }
            }
        }
        t
    });
    let jp = ql == QueryLanguage::JsonPath;
    table
        .iter()
        .find(|((t, j), _)| *t == type_name && *j == jp)
        .map(|(_, f)| f.as_slice())
}

fn fields_of(type_name: &str, ql: QueryLanguage) -> Option<Vec<&'static str>> {
    let jp = ql == QueryLanguage::JsonPath;
    let mut f: Vec<&str> = COMMON.to_vec();
    let flow = ["Next", "End"];
    let paths = ["InputPath", "OutputPath"];
    match type_name {
        "Pass" => {
            f.extend(flow);
            f.push("Assign");
            if jp {
                f.extend(paths);
                f.extend(["Parameters", "Result", "ResultPath"]);
            } else {
                f.push("Output");
            }
        }
        "Task" => {
            f.extend(flow);
            f.extend([
                "Resource",
                "Retry",
                "Catch",
                "TimeoutSeconds",
                "HeartbeatSeconds",
                "Credentials",
                "Assign",
            ]);
            if jp {
                f.extend(paths);
                f.extend([
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "TimeoutSecondsPath",
                    "HeartbeatSecondsPath",
                ]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        "Choice" => {
            f.extend(["Choices", "Default", "Assign"]);
            if jp {
                f.extend(paths);
            } else {
                f.push("Output");
            }
        }
        "Wait" => {
            f.extend(flow);
            f.extend(["Seconds", "Timestamp", "Assign"]);
            if jp {
                f.extend(paths);
                f.extend(["SecondsPath", "TimestampPath"]);
            } else {
                f.push("Output");
            }
        }
        "Succeed" => {
            if jp {
                f.extend(paths);
            } else {
                f.push("Output");
            }
        }
        "Fail" => {
            f.extend(["Error", "Cause"]);
            if jp {
                f.extend(["ErrorPath", "CausePath"]);
            }
        }
        "Parallel" => {
            f.extend(flow);
            f.extend(["Branches", "Retry", "Catch", "Assign"]);
            if jp {
                f.extend(paths);
                f.extend(["Parameters", "ResultSelector", "ResultPath"]);
            } else {
                f.extend(["Arguments", "Output"]);
            }
        }
        "Map" => {
            f.extend(flow);
            f.extend([
                "Retry",
                "Catch",
                "Assign",
                "ItemProcessor",
                "Iterator",
                "ItemSelector",
                "MaxConcurrency",
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "Label",
                "ItemReader",
                "ItemBatcher",
                "ResultWriter",
            ]);
            if jp {
                f.extend(paths);
                f.extend([
                    "Parameters",
                    "ResultSelector",
                    "ResultPath",
                    "ItemsPath",
                    "MaxConcurrencyPath",
                    "ToleratedFailureCountPath",
                    "ToleratedFailurePercentagePath",
                ]);
            } else {
                f.extend(["Items", "Output"]);
            }
        }
        _ => return None,
    }
    Some(f)
}

/// Fields that exist only in the other query language, for a precise message.
pub(super) fn other_language_field(name: &str, ql: QueryLanguage) -> bool {
    match ql {
        QueryLanguage::Jsonata => [
            "InputPath",
            "OutputPath",
            "Parameters",
            "Result",
            "ResultSelector",
            "ResultPath",
            "ItemsPath",
            "SecondsPath",
            "TimestampPath",
            "TimeoutSecondsPath",
            "HeartbeatSecondsPath",
            "ErrorPath",
            "CausePath",
            "MaxConcurrencyPath",
            "ToleratedFailureCountPath",
            "ToleratedFailurePercentagePath",
        ]
        .contains(&name),
        QueryLanguage::JsonPath => ["Arguments", "Output", "Items", "Condition"].contains(&name),
    }
}
