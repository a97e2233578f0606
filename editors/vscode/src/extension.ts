// The asldbg debug type: VS Code runs `asldbg dap` and speaks the Debug
// Adapter Protocol with it on its standard input and output. And the
// language server: `asldbg lsp`, the Language Server Protocol on the same.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

function binary(): string {
  return vscode.workspace.getConfiguration('asldbg').get<string>('path') || 'asldbg';
}

class Factory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterExecutable(binary(), ['dap']);
  }
}

class Configurations implements vscode.DebugConfigurationProvider {
  // F5 with no launch.json: debug the file in the editor.
  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        return undefined;
      }
      return {
        type: 'asldbg',
        request: 'launch',
        name: 'Debug the state machine',
        definition: editor.document.fileName,
        stopOnEntry: true,
      };
    }
    return config;
  }
}

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('asldbg', new Factory()),
    vscode.debug.registerDebugConfigurationProvider('asldbg', new Configurations()),
  );
  if (vscode.workspace.getConfiguration('asldbg').get<boolean>('languageServer') !== false) {
    const run = { command: binary(), args: ['lsp'], transport: TransportKind.stdio };
    client = new LanguageClient(
      'asldbg',
      'asldbg (Step Functions)',
      { run, debug: run },
      {
        // Definitions and the templates that hold them; the server says
        // nothing about a file with no state machine in it.
        documentSelector: ['json', 'jsonc', 'yaml', 'terraform'].map((language) => ({
          scheme: 'file',
          language,
        })),
      },
    );
    void client.start();
  }
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
