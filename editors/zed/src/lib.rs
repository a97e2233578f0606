//! asldbg in Zed: `asldbg lsp` as a language server for JSON and YAML
//! files, and `asldbg dap` as the `asldbg` debug adapter. Zed builds this
//! to WebAssembly when it is installed as a dev extension; `asldbg` itself
//! must be on PATH (or named in the debug configuration's adapter path).

use zed_extension_api::{
    self as zed, serde_json, Command, DebugAdapterBinary, DebugConfig, DebugRequest,
    DebugScenario, DebugTaskDefinition, LanguageServerId, StartDebuggingRequestArguments,
    StartDebuggingRequestArgumentsRequest, Worktree,
};

struct Asldbg;

/// The asldbg binary: the path given, else the one on the worktree's PATH.
fn binary(worktree: &Worktree, given: Option<String>) -> Result<String, String> {
    given.or_else(|| worktree.which("asldbg")).ok_or_else(|| {
        "asldbg is not on PATH: build it (cargo build --release) and put target/release on PATH"
            .to_string()
    })
}

impl zed::Extension for Asldbg {
    fn new() -> Self {
        Asldbg
    }

    fn language_server_command(
        &mut self,
        _id: &LanguageServerId,
        worktree: &Worktree,
    ) -> zed::Result<Command> {
        Ok(Command {
            command: binary(worktree, None)?,
            args: vec!["lsp".into()],
            env: Default::default(),
        })
    }

    fn get_dap_binary(
        &mut self,
        adapter: String,
        config: DebugTaskDefinition,
        user_path: Option<String>,
        worktree: &Worktree,
    ) -> Result<DebugAdapterBinary, String> {
        let parsed: serde_json::Value = serde_json::from_str(&config.config)
            .map_err(|e| format!("the debug configuration is not JSON: {e}"))?;
        let request = self.dap_request_kind(adapter, parsed)?;
        Ok(DebugAdapterBinary {
            command: Some(binary(worktree, user_path)?),
            arguments: vec!["dap".into()],
            envs: Vec::new(),
            cwd: Some(worktree.root_path()),
            connection: None,
            request_args: StartDebuggingRequestArguments {
                configuration: config.config,
                request,
            },
        })
    }

    fn dap_request_kind(
        &mut self,
        _adapter: String,
        config: serde_json::Value,
    ) -> Result<StartDebuggingRequestArgumentsRequest, String> {
        match config.get("request").and_then(|r| r.as_str()) {
            Some("launch") => Ok(StartDebuggingRequestArgumentsRequest::Launch),
            Some(other) => Err(format!(
                "asldbg launches a state machine; it has no '{other}' request"
            )),
            None => Err("the debug configuration needs \"request\": \"launch\"".into()),
        }
    }

    /// Zed's new-session dialog: the program is the definition to debug.
    fn dap_config_to_scenario(&mut self, config: DebugConfig) -> Result<DebugScenario, String> {
        let DebugRequest::Launch(launch) = config.request else {
            return Err("asldbg launches a definition; it does not attach to a process".into());
        };
        let mut c = serde_json::json!({
            "request": "launch",
            "definition": launch.program,
            "stopOnEntry": config.stop_on_entry.unwrap_or(true),
        });
        if let Some(cwd) = launch.cwd {
            c["cwd"] = serde_json::Value::String(cwd);
        }
        Ok(DebugScenario {
            label: config.label,
            adapter: config.adapter,
            build: None,
            config: c.to_string(),
            tcp_connection: None,
        })
    }
}

zed::register_extension!(Asldbg);
