//! Task resources: the optimised service integrations AWS recognises, and
//! the limits of EXPRESS state machines.

use super::{Definition, Diagnostic, Kind};

/// Optimised service integrations (`arn:aws:states:::service:action`) and the
/// actions AWS recognises for each; `aws-sdk:*` accepts any action.
const INTEGRATIONS: &[(&str, &[&str])] = &[
    ("lambda", &["invoke"]),
    (
        "dynamodb",
        &["getItem", "putItem", "deleteItem", "updateItem"],
    ),
    ("sns", &["publish"]),
    ("sqs", &["sendMessage"]),
    ("states", &["startExecution"]),
    ("events", &["putEvents"]),
    ("ecs", &["runTask"]),
    ("batch", &["submitJob"]),
    ("glue", &["startJobRun"]),
    // AWS Glue DataBrew (`arn:aws:states:::databrew:startJobRun`).
    ("databrew", &["startJobRun"]),
    ("apigateway", &["invoke"]),
    ("http", &["invoke"]),
    ("s3", &["getObject", "listObjectsV2", "putObject"]),
    ("bedrock", &["invokeModel", "createModelCustomizationJob"]),
    ("mediaconvert", &["createJob"]),
    (
        "athena",
        &[
            "startQueryExecution",
            "stopQueryExecution",
            "getQueryExecution",
            "getQueryResults",
        ],
    ),
    (
        "codebuild",
        &[
            "startBuild",
            "stopBuild",
            "batchDeleteBuilds",
            "batchGetReports",
            "startBuildBatch",
        ],
    ),
    (
        "eks",
        &[
            "createCluster",
            "deleteCluster",
            "createFargateProfile",
            "deleteFargateProfile",
            "createNodegroup",
            "deleteNodegroup",
            "runJob",
            "call",
        ],
    ),
    // Amazon EMR (`arn:aws:states:::elasticmapreduce:createCluster`).
    (
        "elasticmapreduce",
        &[
            "createCluster",
            "terminateCluster",
            "addStep",
            "cancelStep",
            "setClusterTerminationProtection",
            "modifyInstanceFleetByName",
            "modifyInstanceGroupByName",
        ],
    ),
    (
        "emr-containers",
        &[
            "startJobRun",
            "createVirtualCluster",
            "deleteVirtualCluster",
        ],
    ),
    (
        "emr-serverless",
        &[
            "createApplication",
            "startApplication",
            "stopApplication",
            "deleteApplication",
            "startJobRun",
            "cancelJobRun",
        ],
    ),
    (
        "sagemaker",
        &[
            "createTrainingJob",
            "createTransformJob",
            "createModel",
            "createEndpoint",
            "createEndpointConfig",
            "createHyperParameterTuningJob",
            "createLabelingJob",
            "createProcessingJob",
            "updateEndpoint",
        ],
    ),
];

/// Check a Task's Resource when it names an optimised integration.
pub(super) fn check_resource(resource: &str) -> Result<(), String> {
    // An unfilled placeholder is reported as such; what it stands for is
    // not known here.
    if crate::asl::placeholders::has_placeholder(resource) {
        return Ok(());
    }
    let unknown = || {
        Err(format!("The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."))
    };
    let parts: Vec<&str> = resource.splitn(6, ':').collect();
    // AWS's schema: an ARN of Step Functions (an integration, an activity)
    // or of Lambda (a function), in any partition.
    if parts.len() < 6
        || parts[0] != "arn"
        || !parts[1].starts_with("aws")
        || !matches!(parts[2], "states" | "lambda")
        || parts[5].is_empty()
    {
        return unknown();
    }
    if parts[2] != "states" || !parts[3].is_empty() || !parts[4].is_empty() {
        return Ok(());
    }
    let rest = parts[5];
    let base = rest
        .split(".sync")
        .next()
        .unwrap_or(rest)
        .trim_end_matches(".waitForTaskToken");
    if base.starts_with("aws-sdk:") {
        return Ok(());
    }
    let (service, action) = base.split_once(':').unwrap_or((base, ""));
    match INTEGRATIONS.iter().find(|(s, _)| *s == service) {
        Some((_, actions)) if actions.contains(&action) => Ok(()),
        _ => unknown(),
    }
}

/// Problems that only an EXPRESS state machine has: activities, `.sync` and
/// `.waitForTaskToken` integrations are not supported there.
pub fn express_diagnostics(def: &Definition) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for m in &def.machines {
        for st in &m.states {
            if let Kind::Task(t) = &st.kind {
                let p = format!("{}/Resource", st.pointer);
                if t.resource.contains(":activity:") {
                    out.push(Diagnostic {
                        pointer: p,
                        message: "Express state machine does not support Activity ARN".into(),
                        expr: None,
                    });
                } else if t.resource.contains(".sync") {
                    out.push(Diagnostic {
                        pointer: p,
                        message:
                            "Express state machine does not support '.sync' service integration"
                                .into(),
                        expr: None,
                    });
                } else if t.resource.ends_with(".waitForTaskToken") {
                    out.push(Diagnostic {
                        pointer: p,
                        message: "Express state machine does not support '.waitForTaskToken' service integration".into(),
                        expr: None,
                    });
                }
            }
        }
    }
    out
}
