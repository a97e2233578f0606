//! Samples compiled into the binary, so an installed `asldbg` has them.

pub struct Sample {
    pub name: &'static str,
    pub description: &'static str,
    pub definition: &'static str,
    pub input: &'static str,
    pub mocks: Option<&'static str>,
    /// The test case opened by default.
    pub test_case: Option<&'static str>,
    /// What to watch for and which keys to press.
    pub lesson: &'static str,
    /// Its `exercises.yaml` (see [`crate::testing::exercises`]).
    pub exercises: Option<&'static str>,
}

pub const SAMPLES: &[Sample] = &[
    Sample {
        name: "credit-card",
        description:
            "AWS's getting-started credit-card workflow: Lambda, Choice, callback, Parallel, Map",
        definition: include_str!("../samples/credit-card/credit-card.asl.json"),
        input: include_str!("../samples/credit-card/input.json"),
        mocks: Some(include_str!("../samples/credit-card/mocks.json")),
        test_case: Some("HumanApprovalGranted"),
        lesson: include_str!("../samples/credit-card/lesson.md"),
        exercises: Some(include_str!("../samples/credit-card/exercises.yaml")),
    },
    Sample {
        name: "data-flow",
        description: "The five JSONPath processing fields, one state each",
        definition: include_str!("../samples/data-flow/data-flow.asl.json"),
        input: include_str!("../samples/data-flow/input.json"),
        mocks: Some(include_str!("../samples/data-flow/mocks.json")),
        test_case: Some("Default"),
        lesson: include_str!("../samples/data-flow/lesson.md"),
        exercises: Some(include_str!("../samples/data-flow/exercises.yaml")),
    },
    Sample {
        name: "intrinsics",
        description: "Intrinsic functions (States.Format, arrays, hashes, JSON, math)",
        definition: include_str!("../samples/intrinsics/intrinsics.asl.json"),
        input: include_str!("../samples/intrinsics/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/intrinsics/lesson.md"),
        exercises: Some(include_str!("../samples/intrinsics/exercises.yaml")),
    },
    Sample {
        name: "choice-rules",
        description: "Choice rules: string, numeric, timestamp, Is*, And/Or/Not",
        definition: include_str!("../samples/choice-rules/choice-rules.asl.json"),
        input: include_str!("../samples/choice-rules/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/choice-rules/lesson.md"),
        exercises: Some(include_str!("../samples/choice-rules/exercises.yaml")),
    },
    Sample {
        name: "wait",
        description: "The four Wait forms on the virtual clock",
        definition: include_str!("../samples/wait/wait.asl.json"),
        input: include_str!("../samples/wait/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/wait/lesson.md"),
        exercises: Some(include_str!("../samples/wait/exercises.yaml")),
    },
    Sample {
        name: "parallel",
        description: "Parallel branches: same input, results in branch order",
        definition: include_str!("../samples/parallel/parallel.asl.json"),
        input: include_str!("../samples/parallel/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/parallel/lesson.md"),
        exercises: Some(include_str!("../samples/parallel/exercises.yaml")),
    },
    Sample {
        name: "map-inline",
        description: "Inline Map with ItemSelector and $$.Map.Item",
        definition: include_str!("../samples/map-inline/map-inline.asl.json"),
        input: include_str!("../samples/map-inline/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/map-inline/lesson.md"),
        exercises: Some(include_str!("../samples/map-inline/exercises.yaml")),
    },
    Sample {
        name: "map-distributed",
        description: "Distributed Map over a CSV file, tolerated failures",
        definition: include_str!("../samples/map-distributed/map-distributed.asl.json"),
        input: include_str!("../samples/map-distributed/input.json"),
        mocks: Some(include_str!("../samples/map-distributed/mocks.json")),
        test_case: Some("Default"),
        lesson: include_str!("../samples/map-distributed/lesson.md"),
        exercises: Some(include_str!("../samples/map-distributed/exercises.yaml")),
    },
    Sample {
        name: "retry-catch",
        description: "Retry with back-off and jitter, Catch with ResultPath",
        definition: include_str!("../samples/retry-catch/retry-catch.asl.json"),
        input: include_str!("../samples/retry-catch/input.json"),
        mocks: Some(include_str!("../samples/retry-catch/mocks.json")),
        test_case: Some("Declined"),
        lesson: include_str!("../samples/retry-catch/lesson.md"),
        exercises: Some(include_str!("../samples/retry-catch/exercises.yaml")),
    },
    Sample {
        name: "callback",
        description: "Wait for a callback with a task token (you answer it)",
        definition: include_str!("../samples/callback/callback.asl.json"),
        input: include_str!("../samples/callback/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/callback/lesson.md"),
        exercises: Some(include_str!("../samples/callback/exercises.yaml")),
    },
    Sample {
        name: "variables",
        description: "Variables: Assign, scopes, old values in one block",
        definition: include_str!("../samples/variables/variables.asl.json"),
        input: include_str!("../samples/variables/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/variables/lesson.md"),
        exercises: Some(include_str!("../samples/variables/exercises.yaml")),
    },
    Sample {
        name: "context-object",
        description: "The context object ($$)",
        definition: include_str!("../samples/context-object/context-object.asl.json"),
        input: include_str!("../samples/context-object/input.json"),
        mocks: None,
        test_case: None,
        lesson: include_str!("../samples/context-object/lesson.md"),
        exercises: Some(include_str!("../samples/context-object/exercises.yaml")),
    },
    Sample {
        name: "jsonata",
        description: "JSONata: Arguments, Output, Assign, Condition",
        definition: include_str!("../samples/jsonata/jsonata.asl.json"),
        input: include_str!("../samples/jsonata/input.json"),
        mocks: Some(include_str!("../samples/jsonata/mocks.json")),
        test_case: Some("Default"),
        lesson: include_str!("../samples/jsonata/lesson.md"),
        exercises: Some(include_str!("../samples/jsonata/exercises.yaml")),
    },
];

pub fn find(name: &str) -> Option<&'static Sample> {
    SAMPLES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asl::Definition;

    #[test]
    fn every_bundled_sample_is_valid() {
        for s in SAMPLES {
            let v: serde_json::Value = serde_json::from_str(s.definition).unwrap();
            assert!(Definition::from_value(&v).is_ok(), "{}", s.name);
            let _: serde_json::Value = serde_json::from_str(s.input).unwrap();
            assert!(s.lesson.contains("Watch for"), "{}", s.name);
            if let Some(m) = s.mocks {
                let _: serde_json::Value = serde_json::from_str(m).unwrap();
            }
        }
    }

    #[test]
    fn every_bundled_lesson_has_exercises_that_check_and_match_its_folder() {
        use crate::testing::exercises::Lesson;
        for s in SAMPLES {
            let l = Lesson::of_sample(s).expect("exercises").unwrap();
            assert!(l.exercises.len() >= 3, "{}", s.name);
            assert_eq!(l.check(), Vec::<String>::new(), "{}", s.name);
            // `lesson check samples/NAME` reads the same run from the folder.
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("samples")
                .join(s.name);
            let on_disk = Lesson::load_dir(&dir).unwrap();
            assert_eq!(on_disk.base.definition, l.base.definition, "{}", s.name);
            assert_eq!(on_disk.base.input, l.base.input, "{}", s.name);
            assert_eq!(on_disk.base.test_case, l.base.test_case, "{}", s.name);
            assert_eq!(
                on_disk.base.mocks.map(|m| m.1),
                l.base.mocks.map(|m| m.1),
                "{}",
                s.name
            );
            assert_eq!(on_disk.exercises.len(), l.exercises.len(), "{}", s.name);
        }
    }
}
