// Runs static/js/field/score.js over a batch of cases for xinli/scales/tests/test_client_scoring.py.
// stdin: {"definitions": [raw definition JSON, ...], "cases": [{"code", "answers", "sex", "cutoff"}, ...]}
// stdout: one JSON array, per case {"ok": true, "result": {...}} or {"ok": false, "error", "field", "zh", "en"}.
"use strict";
const path = require("path");
const XinliScore = require(path.resolve(process.argv[2]));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const { definitions, cases } = JSON.parse(input);
  const reg = XinliScore.registry(definitions);
  const out = cases.map((c) => {
    try {
      const result = XinliScore.scoreCode(reg, c.code, c.answers, { sex: c.sex, cutoff: c.cutoff });
      return { ok: true, result };
    } catch (err) {
      return { ok: false, error: err.name, field: err.field, zh: err.zh, en: err.en, message: String(err.message) };
    }
  });
  process.stdout.write(JSON.stringify(out));
});
