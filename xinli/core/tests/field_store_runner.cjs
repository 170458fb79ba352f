// Runs the crypto primitives of static/js/field/store.js for xinli/core/tests/test_field_store_crypto.py.
// stdin: JSON array of operations; stdout: JSON array of results (hex strings, or {"error": code}).
"use strict";
const path = require("path");
const XinliStore = require(path.resolve(process.argv[2]));
const C = XinliStore.crypto;
const hex = (h) => C.hexToBytes(h || "");

async function run(op) {
  try {
    switch (op.op) {
      case "sm3": return C.bytesToHex(C.sm3(hex(op.data)));
      case "hmac": return C.bytesToHex(C.hmacSm3(hex(op.key), hex(op.data)));
      case "sm4_cbc": return C.bytesToHex(C.sm4CbcEncrypt(hex(op.key), hex(op.iv), hex(op.data)));
      case "seal": return C.bytesToHex(C.seal({ enc: hex(op.enc), mac: hex(op.mac) }, op.text, op.aad, op.iv ? hex(op.iv) : undefined));
      case "unseal": return new TextDecoder().decode(C.unseal({ enc: hex(op.enc), mac: hex(op.mac) }, hex(op.envelope), op.aad));
      case "derive": {
        const keys = await C.deriveKeys(op.password, C.saltFor(op.username, hex(op.device_salt)), op.iterations);
        return { enc: C.bytesToHex(keys.enc), mac: C.bytesToHex(keys.mac), index: C.bytesToHex(keys.index) };
      }
      default: return { error: `unknown op ${op.op}` };
    }
  } catch (err) {
    return { error: err.code || err.name, message: String(err.message) };
  }
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (c) => { input += c; });
process.stdin.on("end", async () => {
  const out = [];
  for (const op of JSON.parse(input)) out.push(await run(op));
  process.stdout.write(JSON.stringify(out));
});
