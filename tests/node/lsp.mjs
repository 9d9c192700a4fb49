// A minimal Language Server Protocol client over stdio (JSON-RPC 2.0, Content-Length framing)
// for driving the real yaml-language-server in tests: requests with replies, the server's own
// requests answered (workspace/configuration and the registrations), and notifications waited
// for as events, never with fixed sleeps.
import { spawn } from "node:child_process";

export class LspClient {
  /** Starts `command args...`; `settings` answers workspace/configuration by section. */
  constructor(command, args, settings) {
    this.settings = settings;
    this.nextId = 1;
    this.pending = new Map();
    this.waiters = [];
    this.notifications = [];
    this.stderr = "";
    this.buffer = Buffer.alloc(0);
    this.proc = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout.on("data", (chunk) => this.#receive(chunk));
    this.proc.stderr.on("data", (chunk) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.proc.on("exit", (code) => resolve(code)));
    this.exited.then((code) => {
      const err = new Error(`the language server exited (code ${code})\n${this.stderr}`);
      for (const { reject } of this.pending.values()) reject(err);
      for (const w of this.waiters) w.reject(err);
      this.pending.clear();
      this.waiters = [];
    });
  }

  #send(message) {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...message }), "utf8");
    this.proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.proc.stdin.write(body);
  }

  #receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString("ascii");
      const m = /Content-Length: *(\d+)/i.exec(header);
      if (!m) throw new Error(`a message without Content-Length: ${header}`);
      const length = Number(m[1]);
      const start = headerEnd + 4;
      if (this.buffer.length < start + length) return;
      const body = this.buffer.subarray(start, start + length).toString("utf8");
      this.buffer = this.buffer.subarray(start + length);
      this.#dispatch(JSON.parse(body));
    }
  }

  #dispatch(msg) {
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    if (msg.id !== undefined) {
      // A request from the server: configuration is answered from the settings, the rest
      // (capability registration, progress tokens) acknowledged.
      let result = null;
      if (msg.method === "workspace/configuration") {
        result = msg.params.items.map((item) => this.#section(item.section));
      }
      this.#send({ id: msg.id, result });
      return;
    }
    this.notifications.push(msg);
    const still = [];
    for (const w of this.waiters) {
      if (w.method === msg.method && w.predicate(msg.params)) w.resolve(msg.params);
      else still.push(w);
    }
    this.waiters = still;
  }

  #section(section) {
    if (!section) return this.settings;
    let v = this.settings;
    for (const part of section.split(".")) v = v?.[part];
    return v ?? null;
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.#send({ id, method, params });
    });
  }

  notify(method, params) {
    this.#send({ method, params });
  }

  /** The next notification `method` whose params satisfy `predicate`, from now on. */
  next(method, predicate = () => true) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ method, predicate, resolve, reject });
    });
  }

  async initialize(rootUri) {
    const result = await this.request("initialize", {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: "entitle" }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          publishDiagnostics: { relatedInformation: true },
          hover: { contentFormat: ["markdown", "plaintext"] },
          completion: {
            completionItem: {
              snippetSupport: true,
              documentationFormat: ["markdown", "plaintext"],
              insertTextModeSupport: { valueSet: [1, 2] },
            },
            insertTextMode: 2,
          },
        },
      },
    });
    this.notify("initialized", {});
    return result;
  }

  /** Opens a document and resolves with the first diagnostics published for it. */
  open(uri, text) {
    const diagnostics = this.next("textDocument/publishDiagnostics", (p) => p.uri === uri);
    this.notify("textDocument/didOpen", {
      textDocument: { uri, languageId: "yaml", version: 1, text },
    });
    return diagnostics.then((p) => p.diagnostics);
  }

  close(uri) {
    this.notify("textDocument/didClose", { textDocument: { uri } });
  }

  async shutdown() {
    await this.request("shutdown", null);
    this.notify("exit", null);
    return this.exited;
  }

  kill() {
    this.proc.kill("SIGKILL");
  }
}
