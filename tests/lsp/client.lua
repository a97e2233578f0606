-- A headless neovim, its built-in language client talking to `asldbg lsp`:
-- what a user of neovim gets, written to $OUT as JSON for tests/lsp.rs.
-- Neovim 0.7 (Debian 12's) and later.
local out = {}
local function fail(msg)
  out.error = msg
  local f = io.open(os.getenv('OUT'), 'w')
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd('qa!')
end

local dir = os.getenv('DIR')
local client = vim.lsp.start_client({
  name = 'asldbg',
  cmd = { os.getenv('ASLDBG'), 'lsp' },
  root_dir = dir,
})
if not client then return fail('the server did not start') end

local function open(file)
  vim.cmd('edit ' .. dir .. '/' .. file)
  vim.lsp.buf_attach_client(0, client)
end

-- A request at (1-based line, 0-based byte column) of the current buffer.
local function at(line, col, method, extra)
  vim.api.nvim_win_set_cursor(0, { line, col })
  local params = vim.lsp.util.make_position_params()
  for k, v in pairs(extra or {}) do params[k] = v end
  local res = vim.lsp.buf_request_sync(0, method, params, 10000)
  if not res or not res[client] then return nil end
  local e = res[client].err or res[client].error
  if e then return { err = e.message } end
  return res[client].result
end

-- The line and column of `text` (plain) in the current buffer, at `skip` chars in.
local function find(text, skip)
  for i, l in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local c = string.find(l, text, 1, true)
    if c then return i, c - 1 + (skip or 0) end
  end
  fail('not in the buffer: ' .. text)
end

-- 1. Problems as validate says them.
open('broken.asl.json')
vim.wait(10000, function() return #vim.diagnostic.get(0) > 0 end, 50)
out.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out.diagnostics, { line = d.lnum + 1, col = d.col + 1, message = d.message, severity = d.severity })
end
-- Its fix.
local l, c = find('Aproved', 1)
vim.api.nvim_win_set_cursor(0, { l, c })
local p = vim.lsp.util.make_range_params()
p.context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(0, l - 1) }
local acts = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', p, 10000)
out.actions = {}
for _, a in ipairs((acts[client] or {}).result or {}) do table.insert(out.actions, a.title) end

-- 2. The flagship sample, with its suite beside it.
open('credit-card.asl.json')
vim.wait(10000, function() return vim.b.asldbg_seen or true end, 50)
l, c = find('"Next": "Credit applied', 12)
local def = at(l, c, 'textDocument/definition')
if def and def.range then def = { def } end
out.definition = def and def[1] and (def[1].range.start.line + 1) or vim.NIL
local comp = at(l, c, 'textDocument/completion')
out.completion = {}
for _, i in ipairs((comp and (comp.items or comp)) or {}) do table.insert(out.completion, i.label) end
l, c = find('"amount.$": "$.Payload"', 16)
local h = at(l, c, 'textDocument/hover')
out.hover = h and h.contents and h.contents.value or vim.NIL
l, c = find('"Get credit limit": {', 3)
local r = at(l, c, 'textDocument/rename', { newName = 'Fetch the limit' })
if r and r.err then return fail(r.err) end
vim.lsp.util.apply_workspace_edit(r, 'utf-16')
out.renamed = {}
for i, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
  if string.find(line, 'Fetch the limit', 1, true) then table.insert(out.renamed, i) end
end
local refused = at(l, c, 'textDocument/rename', { newName = 'Verify identity' })
out.refused = refused and refused.err or vim.NIL
local syms = vim.lsp.buf_request_sync(0, 'textDocument/documentSymbol',
  { textDocument = vim.lsp.util.make_text_document_params() }, 10000)
out.symbols = {}
for _, s in ipairs(syms[client].result or {}) do table.insert(out.symbols, s.name) end

local f = io.open(os.getenv('OUT'), 'w')
f:write(vim.fn.json_encode(out))
f:close()
vim.lsp.stop_client(client)
vim.cmd('qa!')
