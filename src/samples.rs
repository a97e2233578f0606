//! Samples compiled into the binary, so an installed `asldbg` has them.

pub struct Sample {
    pub name: &'static str,
    pub description: &'static str,
    pub definition: &'static str,
    pub input: &'static str,
    pub mocks: Option<&'static str>,
    /// The test case opened by default.
    pub test_case: Option<&'static str>,
}

pub const SAMPLES: &[Sample] = &[Sample {
    name: "credit-card",
    description:
        "AWS's getting-started credit-card workflow: Lambda, Choice, callback, Parallel, Map",
    definition: include_str!("../samples/credit-card/credit-card.asl.json"),
    input: include_str!("../samples/credit-card/input.json"),
    mocks: Some(include_str!("../samples/credit-card/mocks.json")),
    test_case: Some("HumanApprovalGranted"),
}];

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
            if let Some(m) = s.mocks {
                let _: serde_json::Value = serde_json::from_str(m).unwrap();
            }
        }
    }
}
