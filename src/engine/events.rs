//! History event types: the closed set AWS writes (`HistoryEventType` in the
//! Step Functions API), so an event cannot be misspelt where it is made.

use crate::asl::model::{Kind, ResourceKind};

macro_rules! event_types {
    ($($name:ident),* $(,)?) => {
        /// One type of history event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventType {
            $($name),*
        }

        impl EventType {
            /// Every type, in the API reference's order.
            pub const ALL: &'static [EventType] = &[$(EventType::$name),*];

            /// The name AWS writes (`TaskStateEntered`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(EventType::$name => stringify!($name)),*
                }
            }
        }
    };
}

event_types! {
    ActivityFailed, ActivityScheduled, ActivityScheduleFailed, ActivityStarted,
    ActivitySucceeded, ActivityTimedOut,
    ChoiceStateEntered, ChoiceStateExited,
    EvaluationFailed,
    ExecutionAborted, ExecutionFailed, ExecutionStarted, ExecutionSucceeded,
    ExecutionTimedOut, ExecutionRedriven,
    FailStateEntered,
    LambdaFunctionFailed, LambdaFunctionScheduled, LambdaFunctionScheduleFailed,
    LambdaFunctionStarted, LambdaFunctionStartFailed, LambdaFunctionSucceeded,
    LambdaFunctionTimedOut,
    MapIterationAborted, MapIterationFailed, MapIterationStarted, MapIterationSucceeded,
    MapStateAborted, MapStateEntered, MapStateExited, MapStateFailed, MapStateStarted,
    MapStateSucceeded,
    MapRunAborted, MapRunFailed, MapRunRedriven, MapRunStarted, MapRunSucceeded,
    ParallelStateAborted, ParallelStateEntered, ParallelStateExited, ParallelStateFailed,
    ParallelStateStarted, ParallelStateSucceeded,
    PassStateEntered, PassStateExited,
    SucceedStateEntered, SucceedStateExited,
    TaskFailed, TaskScheduled, TaskStarted, TaskStartFailed, TaskStateAborted,
    TaskStateEntered, TaskStateExited, TaskSubmitFailed, TaskSubmitted, TaskSucceeded,
    TaskTimedOut,
    WaitStateAborted, WaitStateEntered, WaitStateExited,
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for EventType {
    type Err = String;

    fn from_str(s: &str) -> Result<EventType, String> {
        EventType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("unknown history event type '{s}'"))
    }
}

impl PartialEq<&str> for EventType {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// How a task's end shows up, by the kind of resource that ran it.
#[derive(Debug, Clone, Copy)]
pub(super) enum TaskEnd {
    Succeeded,
    Failed,
    TimedOut,
}

impl EventType {
    /// `*StateEntered` for a state of this kind.
    pub(super) fn entered(kind: &Kind) -> EventType {
        match kind {
            Kind::Pass { .. } => EventType::PassStateEntered,
            Kind::Task(_) => EventType::TaskStateEntered,
            Kind::Choice { .. } => EventType::ChoiceStateEntered,
            Kind::Wait(_) => EventType::WaitStateEntered,
            Kind::Succeed => EventType::SucceedStateEntered,
            Kind::Fail { .. } => EventType::FailStateEntered,
            Kind::Parallel { .. } => EventType::ParallelStateEntered,
            Kind::Map(_) => EventType::MapStateEntered,
        }
    }

    /// `*StateExited` for a state of this kind (a Fail state never exits).
    pub(super) fn exited(kind: &Kind) -> EventType {
        match kind {
            Kind::Pass { .. } => EventType::PassStateExited,
            Kind::Task(_) => EventType::TaskStateExited,
            Kind::Choice { .. } => EventType::ChoiceStateExited,
            Kind::Wait(_) => EventType::WaitStateExited,
            Kind::Succeed | Kind::Fail { .. } => EventType::SucceedStateExited,
            Kind::Parallel { .. } => EventType::ParallelStateExited,
            Kind::Map(_) => EventType::MapStateExited,
        }
    }

    /// The scheduled / started / ended events of a task's resource.
    pub(super) fn scheduled(call: &ResourceKind) -> EventType {
        match call {
            ResourceKind::Lambda => EventType::LambdaFunctionScheduled,
            ResourceKind::Activity => EventType::ActivityScheduled,
            ResourceKind::Service { .. } => EventType::TaskScheduled,
        }
    }

    pub(super) fn started(call: &ResourceKind) -> EventType {
        match call {
            ResourceKind::Lambda => EventType::LambdaFunctionStarted,
            ResourceKind::Activity => EventType::ActivityStarted,
            ResourceKind::Service { .. } => EventType::TaskStarted,
        }
    }

    pub(super) fn task_end(call: &ResourceKind, end: TaskEnd) -> EventType {
        use EventType as E;
        match (call, end) {
            (ResourceKind::Lambda, TaskEnd::Succeeded) => E::LambdaFunctionSucceeded,
            (ResourceKind::Lambda, TaskEnd::Failed) => E::LambdaFunctionFailed,
            (ResourceKind::Lambda, TaskEnd::TimedOut) => E::LambdaFunctionTimedOut,
            (ResourceKind::Activity, TaskEnd::Succeeded) => E::ActivitySucceeded,
            (ResourceKind::Activity, TaskEnd::Failed) => E::ActivityFailed,
            (ResourceKind::Activity, TaskEnd::TimedOut) => E::ActivityTimedOut,
            (_, TaskEnd::Succeeded) => E::TaskSucceeded,
            (_, TaskEnd::Failed) => E::TaskFailed,
            (_, TaskEnd::TimedOut) => E::TaskTimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
        }
        assert!("TaskStateEnterd".parse::<EventType>().is_err());
    }
}
