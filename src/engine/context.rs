//! The context object (`$$`) and the variable scopes.

use super::*;

impl Execution {
    pub(super) fn context(&self, map_item: Option<(usize, &Val)>) -> Val {
        let f = self.frames.last().expect("a frame");
        let st = &self.def.machines[f.machine].states[f.state];
        if let Some(given) = self.probe_context() {
            // A probe's context is the state's whole `$$`; a Map's item is
            // still its own.
            let mut c = given.as_object().cloned().unwrap_or_default();
            insert_map_item(&mut c, map_item);
            return Val::obj(c);
        }
        let mut c = Map::default();
        // Member order as AWS writes it; Execution and StateMachine are the
        // same for the whole run (built once, shared).
        c.insert("Execution".into(), self.run_context.0.clone());
        c.insert("StateMachine".into(), self.run_context.1.clone());
        let mut state = Map::default();
        state.insert("Name".into(), Val::Str(st.name.clone()));
        state.insert("EnteredTime".into(), Val::from(format_millis(f.entered_ms)));
        // The recordings show RetryCount only on states that can retry.
        if matches!(
            st.kind,
            Kind::Task(_) | Kind::Parallel { .. } | Kind::Map(_)
        ) {
            state.insert("RetryCount".into(), Val::from(f.retry_count));
        }
        c.insert("State".into(), Val::obj(state));
        if let Some(t) = &f.task_token {
            c.insert(
                "Task".into(),
                Val::object([("Token", Val::from(t.as_str()))]),
            );
        }
        insert_map_item(&mut c, map_item);
        Val::obj(c)
    }

    /// The variable `name` as the current state sees it (the innermost
    /// scope that has it, up to an isolated frame).
    pub fn lookup_var(&self, name: &str) -> Option<Val> {
        for f in self.frames.iter().rev() {
            if let Some(v) = f.vars.get(name) {
                return Some(v.clone());
            }
            if f.isolated {
                return None;
            }
        }
        None
    }
}

/// A Map iteration's `$$.Map.Item` (`Index`, `Value`).
fn insert_map_item(c: &mut Map, map_item: Option<(usize, &Val)>) {
    if let Some((i, v)) = map_item {
        c.insert(
            "Map".into(),
            Val::object([(
                "Item",
                Val::object([("Index", Val::from(i)), ("Value", v.clone())]),
            )]),
        );
    }
}

/// The execution's ARN: `…:execution:<machine>:<name>` for STANDARD,
/// `…:express:<machine>:<name>:<id>` for EXPRESS (the id derives from the
/// seed, so runs stay reproducible).
pub(super) fn execution_arn(o: &Options) -> String {
    if o.express {
        let id = crate::asl::intrinsics::uuid_v4(&mut Rng::seeded(o.seed ^ 0x0E79_5E55_0E79_5E55));
        format!(
            "arn:aws:states:{}:{}:express:{}:{}:{id}",
            o.region, o.account, o.state_machine_name, o.execution_name
        )
    } else {
        format!(
            "arn:aws:states:{}:{}:execution:{}:{}",
            o.region, o.account, o.state_machine_name, o.execution_name
        )
    }
}

/// When AWS added redrive (2023-11-15T00:00:00Z), and with it
/// `$$.Execution.RedriveCount`: executions started before then have none
/// (the recordings of October 2023 show it).
pub const REDRIVE_SINCE_MS: i64 = 1_700_006_400_000;

/// The context object's `Execution` and `StateMachine` members, in the
/// order AWS writes them (express executions cannot be redriven, nor could
/// executions started before redrive existed: no `RedriveCount`).
pub(super) fn run_context(o: &Options, input: &Val) -> (Val, Val) {
    let mut exec = Map::default();
    exec.insert("Id".into(), Val::from(execution_arn(o)));
    exec.insert("Input".into(), input.clone());
    exec.insert(
        "StartTime".into(),
        Val::from(format_millis(o.start_time_ms)),
    );
    exec.insert("Name".into(), Val::from(o.execution_name.as_str()));
    exec.insert(
        "RoleArn".into(),
        Val::from(format!("arn:aws:iam::{}:role/asldbg", o.account)),
    );
    if !o.express && o.start_time_ms >= REDRIVE_SINCE_MS {
        exec.insert("RedriveCount".into(), Val::from(0i64));
    }
    let machine = Val::object([
        (
            "Id",
            Val::from(format!(
                "arn:aws:states:{}:{}:stateMachine:{}",
                o.region, o.account, o.state_machine_name
            )),
        ),
        ("Name", Val::from(o.state_machine_name.as_str())),
    ]);
    (Val::obj(exec), machine)
}
