/* Xinli field app: the scoring engine, ported from xinli/scales/engine.py (docs/field.md, "Client scoring and
 * device store").
 *
 * A pure function of an instrument definition (the JSON of xinli/scales/definitions/<code>.json, as served by the
 * server) and the answers, giving the same total, raw total, subscale scores, band, critical items, flags, skipped
 * and missing items as the server's ``xinli.scales.score`` — checked on the scoring tests' vectors by
 * xinli/scales/tests/test_client_scoring.py. Keep the two in step: a change to engine.py needs the same change here.
 *
 * Arithmetic is exact: every value is a fraction of two BigInts (no floating point), rounded only where the server
 * rounds (half-up, half-even, floor; "none" keeps the exact value), so 51.25 floors to 51 and 28.888… rounds to 29
 * exactly as Python's Decimal does.
 *
 * Plain ES2020, no build step. UMD: a classic <script> or an ES-module import in the browser sets
 * ``globalThis.XinliScore``; ``require()`` in Node returns the same object.
 *
 *   const d = XinliScore.compile(definitionJson);          // once per instrument
 *   const r = XinliScore.score(d, {"1": 0, "2": 3}, {sex: "female", cutoff: null});
 *   r.total, r.band, r.critical, r.flags ...               // as Result.as_dict() on the server
 *   // invalid input throws XinliScore.ScoringError {field, zh, en, message}
 *
 * One known difference: JSON cannot tell 2.0 from 2, so an answer sent as the float 2.0 is an error on the server
 * (not an option value) and a valid 2 here. Forms on the phone only ever send option values.
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module && module.exports) module.exports = api;
  if (root) root.XinliScore = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function () {
  "use strict";

  // ---- exact decimal arithmetic: fractions of BigInts ---------------------------------------------------------
  const ZERO = 0n;
  const ONE = 1n;

  function gcd(a, b) {
    a = a < ZERO ? -a : a;
    b = b < ZERO ? -b : b;
    while (b) [a, b] = [b, a % b];
    return a;
  }

  class Frac {
    constructor(n, d = ONE) {
      if (d === ZERO) throw new RangeError("division by zero");
      if (d < ZERO) { n = -n; d = -d; }
      const g = gcd(n, d) || ONE;
      this.n = n / g;
      this.d = d / g;
    }
    static of(x) {
      if (x instanceof Frac) return x;
      if (typeof x === "bigint") return new Frac(x);
      if (typeof x === "number") {
        if (Number.isInteger(x) && Number.isSafeInteger(x)) return new Frac(BigInt(x));
        return Frac.parse(String(x));
      }
      return Frac.parse(String(x));
    }
    /** Python's Decimal(str(value)): "1.25", "-3", "1e-7", "1.5E+21". */
    static parse(text) {
      const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
      if (!m || (m[2] === "" && (m[3] === undefined || m[3] === ""))) throw new RangeError(`not a number: ${text}`);
      const digits = (m[2] || "") + (m[3] || "");
      let exp = (m[4] ? parseInt(m[4], 10) : 0) - (m[3] ? m[3].length : 0);
      let n = BigInt(digits || "0");
      if (m[1] === "-") n = -n;
      if (exp >= 0) return new Frac(n * 10n ** BigInt(exp));
      return new Frac(n, 10n ** BigInt(-exp));
    }
    add(o) { o = Frac.of(o); return new Frac(this.n * o.d + o.n * this.d, this.d * o.d); }
    sub(o) { o = Frac.of(o); return new Frac(this.n * o.d - o.n * this.d, this.d * o.d); }
    mul(o) { o = Frac.of(o); return new Frac(this.n * o.n, this.d * o.d); }
    div(o) { o = Frac.of(o); return new Frac(this.n * o.d, this.d * o.n); }
    cmp(o) { o = Frac.of(o); const l = this.n * o.d, r = o.n * this.d; return l < r ? -1 : l > r ? 1 : 0; }
    lt(o) { return this.cmp(o) < 0; }
    le(o) { return this.cmp(o) <= 0; }
    gt(o) { return this.cmp(o) > 0; }
    ge(o) { return this.cmp(o) >= 0; }
    eq(o) { return this.cmp(o) === 0; }
    isInteger() { return this.d === ONE; }
    /** Round to ``places`` decimals with a Python Decimal rounding mode (half_up, half_even, floor). */
    quantize(places, mode) {
      const scale = 10n ** BigInt(places);
      const num = this.n * scale;
      const den = this.d;
      // floor division and remainder (remainder ≥ 0)
      let q = num / den;
      let r = num % den;
      if (r < ZERO) { q -= ONE; r += den; }
      if (r !== ZERO) {
        if (mode === "floor") {
          // q already rounds toward −∞
        } else {
          const twice = 2n * r;
          const negative = num < ZERO;
          if (mode === "half_up") { // Decimal ROUND_HALF_UP: ties away from zero
            if (twice > den || (twice === den && !negative)) q += ONE;
          } else if (mode === "half_even") {
            if (twice > den || (twice === den && q % 2n !== ZERO)) q += ONE;
          } else {
            throw new RangeError(`unknown rounding ${mode}`);
          }
        }
      }
      return new Frac(q, scale);
    }
    /** Result.as_dict()'s number(): an int when whole, else a float of at most 2 decimals (half up). */
    toJSONNumber() {
      if (this.isInteger()) return Number(this.n);
      return Number(this.toFixed2()); // the double nearest the 2-decimal text, as Python's float(Decimal("28.89"))
    }
    toFixed2() {
      const q = this.quantize(2, "half_up");
      const scaled = q.n * 100n / q.d; // exact: q has denominator dividing 100
      const neg = scaled < ZERO;
      const abs = neg ? -scaled : scaled;
      const s = abs.toString().padStart(3, "0");
      return `${neg ? "-" : ""}${s.slice(0, -2)}.${s.slice(-2)}`;
    }
    toString() { return this.isInteger() ? this.n.toString() : `${this.n}/${this.d}`; }
  }

  // ---- Python text helpers (the server's messages quote values with repr()) -----------------------------------
  const PY_SPACE = new Set(["\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\x85", "\xa0", "\u1680",
    "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
    "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]);

  function pyStrip(text) {
    const chars = Array.from(text);
    let a = 0, b = chars.length;
    while (a < b && PY_SPACE.has(chars[a])) a++;
    while (b > a && PY_SPACE.has(chars[b - 1])) b--;
    return chars.slice(a, b).join("");
  }

  // Python's str.isprintable() is false for these categories (the space excepted); repr() escapes them.
  const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

  function pyStrRepr(s) {
    const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
    let out = "";
    for (const ch of s) {
      const c = ch.codePointAt(0);
      if (ch === "\\") out += "\\\\";
      else if (ch === quote) out += "\\" + ch;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (ch !== " " && NOT_PRINTABLE.test(ch)) {
        if (c < 0x100) out += "\\x" + c.toString(16).padStart(2, "0");
        else if (c < 0x10000) out += "\\u" + c.toString(16).padStart(4, "0");
        else out += "\\U" + c.toString(16).padStart(8, "0");
      } else out += ch;
    }
    return quote + out + quote;
  }

  function pyFloatRepr(x) {
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
    const [mant, e] = x.toExponential().split("e");
    const exp = parseInt(e, 10);
    const neg = mant.startsWith("-");
    const digits = mant.replace("-", "").replace(".", "");
    let body;
    if (exp >= -4 && exp < 16) { // Python repr: fixed notation for 1e-4 <= |x| < 1e16
      if (exp >= 0) {
        const whole = digits.padEnd(exp + 1, "0");
        const intPart = whole.slice(0, exp + 1);
        const frac = whole.slice(exp + 1);
        body = `${intPart}.${frac || "0"}`;
      } else {
        body = `0.${"0".repeat(-exp - 1)}${digits}`;
      }
    } else {
      const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
      const sign = exp < 0 ? "-" : "+";
      body = `${m}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
    }
    return (neg ? "-" : "") + body;
  }

  function pyRepr(v) {
    if (v === null || v === undefined) return "None";
    if (v === true) return "True";
    if (v === false) return "False";
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
    if (typeof v === "string") return pyStrRepr(v);
    if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
    if (typeof v === "object") return `{${Object.keys(v).map((k) => `${pyStrRepr(k)}: ${pyRepr(v[k])}`).join(", ")}}`;
    return String(v);
  }

  /** Python's sorted() order for strings (by code point). */
  function cmpCodePoints(a, b) {
    const x = Array.from(a), y = Array.from(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d) return d;
    }
    return x.length - y.length;
  }

  const INT_RE = /^-?[0-9]{1,18}$/;
  /** xinli.core.ids.parse_int: ASCII digits with an optional minus, at most 18; null otherwise. */
  function parseInt18(value) {
    const text = pyStrip(value === null || value === undefined ? "" : String(value));
    if (!INT_RE.test(text)) return null;
    const big = BigInt(text);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  // ---- errors -----------------------------------------------------------------------------------------------
  class ScoringError extends Error {
    constructor(field, zh, en) {
      super(zh === en ? zh : `${zh} / ${en}`);
      this.name = "ScoringError";
      this.field = field;
      this.zh = zh;
      this.en = en;
    }
  }

  class DefinitionError extends Error {
    constructor(message) { super(message); this.name = "DefinitionError"; }
  }

  // ---- definitions ------------------------------------------------------------------------------------------
  const ROUNDING = { half_up: "half_up", half_even: "half_even", floor: "floor", none: null };
  const MISSING = Symbol("missing");
  const YES_WORDS = new Map([["yes", "yes"], ["y", "yes"], ["是", "yes"], ["true", "yes"],
    ["no", "no"], ["n", "no"], ["否", "no"], ["false", "no"]]);
  const SEX_WORDS = new Map([["male", "male"], ["m", "male"], ["男", "male"],
    ["female", "female"], ["f", "female"], ["女", "female"]]);

  function band(raw, rule) {
    const common = {
      code: raw.code, label: raw.label, advice: raw.advice || { "zh-hans": "", en: "" },
      severity: raw.severity === undefined ? 0 : Math.trunc(Number(raw.severity)),
    };
    if (rule) return { ...common, when: raw.when };
    return { ...common, min: Frac.of(raw.min), max: Frac.of(raw.max) };
  }

  /** Prepare a definition (the server's JSON) for scoring. The server validated it when it loaded; this does
   * not repeat the validation (bands coverage etc.), it only indexes it. */
  function compile(raw) {
    if (raw && raw.__compiled) return raw;
    if (!raw || typeof raw !== "object" || !Array.isArray(raw.items)) throw new DefinitionError("definition: not an instrument definition");
    const sets = raw.option_sets || {};
    const items = raw.items.map((it) => {
      const options = sets[it.options];
      if (!options) throw new DefinitionError(`${raw.code}: item ${it.id} uses unknown option set ${it.options}`);
      const values = options.map((o) => o.value);
      const answers = new Set(options.map((o) => o.answer || ""));
      return {
        id: String(it.id), text: it.text || {}, options, values,
        min: Math.min(...values), max: Math.max(...values),
        scored: it.scored === undefined ? true : Boolean(it.scored),
        isYesNo: answers.size === 2 && answers.has("yes") && answers.has("no"),
      };
    });
    const itemMap = new Map(items.map((i) => [i.id, i]));
    const scoring = raw.scoring || {};
    const rounding = scoring.rounding === undefined ? "half_up" : scoring.rounding;
    if (!(rounding in ROUNDING)) throw new DefinitionError(`${raw.code}: unknown rounding ${rounding}`);
    const bySex = {};
    for (const [sex, list] of Object.entries(raw.bands_by_sex || {})) bySex[sex] = list.map((b) => band(b, false));
    return {
      __compiled: true, raw, code: raw.code, version: String(raw.version), items, itemMap,
      scoredItems: items.filter((i) => i.scored), scoring,
      reverse: new Set((scoring.reverse || []).map(String)),
      subscales: raw.subscales || [], critical: raw.critical || [], skip: raw.skip || [], flags: raw.flags || [],
      rounding: ROUNDING[rounding], multiplier: Frac.of(scoring.multiplier === undefined ? 1 : scoring.multiplier),
      bands: (raw.bands || []).map((b) => band(b, false)), bandsBySex: bySex,
      bandRules: (raw.band_rules || []).map((b) => band(b, true)),
      shortName: raw.short_name === undefined ? raw.code : raw.short_name,
    };
  }

  // ---- the engine (names follow engine.py) ------------------------------------------------------------------
  function roundValue(d, value) {
    if (d.rounding === null) return value; // "none": the exact value (Python: value.normalize())
    return value.quantize(0, d.rounding);
  }

  function reportValue(d, raw) {
    return roundValue(d, raw.mul(d.multiplier));
  }

  function missingError(d, missing, allowed) {
    const first = d.itemMap.get(missing[0]);
    const others = missing.slice(1, 11);
    let zh = `第 ${first.id} 题未作答：“${first.text["zh-hans"] || first.text.en}”`;
    let en = `Question ${first.id} is not answered: “${first.text.en || first.text["zh-hans"]}”`;
    if (others.length) {
      zh += `；第 ${others.join("、")} 题也未作答`;
      en += `; questions ${others.join(", ")} are not answered either`;
    }
    if (allowed) {
      zh += `（${d.shortName} 最多可缺 ${allowed} 题）`;
      en += ` (${d.shortName} allows ${allowed} unanswered)`;
    }
    return new ScoringError(first.id, zh + "。请作答后再提交。", en + ". Answer it, then submit again.");
  }

  function isPlainObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }

  function normalise(d, answers) {
    const items = d.items;
    if (Array.isArray(answers)) {
      if (answers.length > items.length) {
        throw new ScoringError("answers", `答案数量过多：${d.shortName} 共 ${items.length} 题，收到 ${answers.length} 个`,
          `too many answers: ${d.code} has ${items.length} items, got ${answers.length}`);
      }
      const obj = {};
      items.forEach((item, i) => { if (i < answers.length) obj[item.id] = answers[i]; });
      answers = obj;
    }
    if (!isPlainObject(answers)) {
      throw new ScoringError("answers", "答案格式错误：应为 题号→选项值 的对象", "answers must be an object of item id → option value");
    }
    const unknown = Object.keys(answers).filter((k) => !d.itemMap.has(k)).sort(cmpCodePoints);
    if (unknown.length) {
      throw new ScoringError(unknown[0], `第 ${unknown[0]} 题不存在：${d.code} 的题号为 1–${items.length}`,
        `item ${unknown[0]} does not exist: ${d.code} items are 1–${items.length}`);
    }
    const out = new Map();
    for (const item of items) {
      const value = Object.prototype.hasOwnProperty.call(answers, item.id) ? answers[item.id] : null;
      out.set(item.id, valueOf(item, value));
    }
    return out;
  }

  function valueOf(item, value) {
    if (value === null || value === undefined || value === "" || value === "-") return MISSING;
    const allowed = item.values;
    if (item.isYesNo) {
      let word = null;
      if (typeof value === "boolean") word = value ? "yes" : "no";
      else if (typeof value === "string") word = YES_WORDS.get(pyStrip(value).toLowerCase()) || null;
      if (word) return item.options.find((o) => o.answer === word).value;
    }
    if (typeof value === "boolean") value = null;
    else if (typeof value === "string" && parseInt18(value) !== null) value = parseInt18(value);
    const isInt = typeof value === "number" && Number.isInteger(value);
    if (!isInt || !allowed.includes(value)) {
      const listing = allowed.map(String);
      const shown = pyRepr(value);
      throw new ScoringError(item.id, `第 ${item.id} 题的答案 ${shown} 无效：可选值为 ${listing.join("、")}${item.isYesNo ? "，或 yes/no" : ""}`,
        `item ${item.id}: answer ${shown} is not allowed; use one of ${listing.join(", ")}` + (item.isYesNo ? " or yes/no" : ""));
    }
    return value;
  }

  function pointsOf(d, item, value) {
    return d.reverse.has(item.id) ? item.min + item.max - value : value;
  }

  function match(rule, given, d) {
    if (rule.always) return true;
    for (const iid of rule.any_yes || []) {
      const item = d.itemMap.get(String(iid));
      const yesOption = item.options.find((o) => o.answer === "yes");
      const yes = yesOption ? yesOption.value : item.max;
      if (given.get(String(iid)) === yes) return true;
    }
    return false;
  }

  function bandsFor(d, sex, cutoff) {
    if (Object.keys(d.bandsBySex).length) {
      const key = SEX_WORDS.get(pyStrip(sex === null || sex === undefined || sex === "" || sex === false || sex === 0 ? "" : String(sex)).toLowerCase());
      if (!key) {
        throw new ScoringError("sex", `${d.code} 的判定界值因性别而异：请提供性别（male 或 female）`,
          `${d.code} cut-offs depend on sex: give sex (male or female)`);
      }
      return d.bandsBySex[key];
    }
    let bands = d.bands;
    if (cutoff !== null && cutoff !== undefined && d.scoring.cutoff_setting && bands.length >= 2) {
      const cut = Frac.of(cutoff);
      const ordered = bands.slice().sort((a, b) => a.min.cmp(b.min));
      const low = ordered[ordered.length - 2], high = ordered[ordered.length - 1];
      if (!(low.min.lt(cut) && cut.le(high.max))) {
        const shown = typeof cutoff === "string" ? cutoff : pyRepr(cutoff); // Python str(), not repr()
        throw new ScoringError("cutoff", `界值 ${shown} 超出范围`, `cut-off ${shown} is out of range`);
      }
      bands = [...ordered.slice(0, -2), { ...low, max: cut.sub(1) }, { ...high, min: cut }];
    }
    return bands;
  }

  function itemKey(a, b) {
    const da = /^[0-9]+$/.test(a), db = /^[0-9]+$/.test(b);
    if (da && db) { const x = BigInt(a), y = BigInt(b); return x < y ? -1 : x > y ? 1 : 0; }
    if (da !== db) return da ? -1 : 1;
    return cmpCodePoints(a, b);
  }

  function sumInts(list) {
    return list.reduce((acc, v) => acc + BigInt(v), ZERO);
  }

  /**
   * Score ``answers`` (object item id → option value as printed, or an array in item order; null, "" or "-" for
   * unanswered; true/false or yes/no/是/否 for yes/no items) with a definition (raw JSON or compiled).
   * Options: ``sex`` where cut-offs depend on it (AUDIT-C), ``cutoff`` to move a declared adjustable cut-off.
   * Returns the server's Result.as_dict(); the exact values are on ``result.exact`` (Frac).
   */
  function score(definition, answers, options = {}) {
    const d = compile(definition);
    const sex = options.sex === undefined ? null : options.sex;
    const cutoff = options.cutoff === undefined ? null : options.cutoff;
    const given = normalise(d, answers);

    const skipped = new Set();
    for (const rule of d.skip) {
      if (given.get(String(rule.if_item)) === rule.equals) for (const s of rule.skip) skipped.add(String(s));
    }
    const scored = d.scoredItems;
    const missing = scored.filter((i) => given.get(i.id) === MISSING && !skipped.has(i.id)).map((i) => i.id);

    const points = new Map();
    for (const item of scored) {
      if (skipped.has(item.id)) points.set(item.id, 0);
      else if (given.get(item.id) === MISSING) points.set(item.id, null);
      else points.set(item.id, pointsOf(d, item, given.get(item.id)));
    }

    const subscales = new Map();
    let prorated = false;
    const totalSubscales = d.scoring.total === "subscales" ? d.scoring.total_subscales || [] : [];
    for (const sub of d.subscales) {
      const ids = sub.items.map(String);
      const answered = ids.map((i) => points.get(i)).filter((p) => p !== null && p !== undefined);
      const minimum = sub.prorate_min_answered === undefined ? ids.length : sub.prorate_min_answered;
      if (answered.length < minimum) {
        if (totalSubscales.includes(sub.code)) {
          throw new ScoringError(ids[0], `“${sub.label["zh-hans"]}”分量表作答不足：至少需要 ${minimum} 题`,
            `subscale '${sub.label.en}' has too few answers: at least ${minimum} needed`);
        }
        continue;
      }
      const total = new Frac(sumInts(answered));
      if ((sub.method || "sum") === "mean") {
        subscales.set(sub.code, total.div(answered.length).quantize(2, "half_up"));
      } else if (answered.length < ids.length) {
        subscales.set(sub.code, roundValue(d, total.mul(ids.length).div(answered.length)));
        prorated = true;
      } else {
        subscales.set(sub.code, total);
      }
    }

    let raw;
    if (d.scoring.total === "subscales") {
      raw = new Frac(ZERO);
      for (const c of d.scoring.total_subscales) raw = raw.add(subscales.get(c));
    } else {
      const allowed = (d.scoring.missing || {}).max || 0;
      if (missing.length > allowed) throw missingError(d, missing, allowed);
      const answeredPoints = [...points.values()].filter((p) => p !== null);
      raw = new Frac(sumInts(answeredPoints));
      if (missing.length) {
        raw = raw.mul(points.size).div(answeredPoints.length);
        prorated = true;
      }
    }
    const total = reportValue(d, raw);

    let chosen;
    if (d.bandRules.length) {
      chosen = d.bandRules.find((b) => match(b.when, given, d));
      if (!chosen) throw new ScoringError("answers", "没有匹配的分级规则", "no band rule matches");
    } else {
      chosen = bandsFor(d, sex, cutoff).find((b) => b.min.le(total) && total.le(b.max));
      if (!chosen) throw new ScoringError("answers", `总分 ${total} 不在任何分级内`, `total ${total} falls in no band`);
    }

    const critical = [];
    for (const c of d.critical) {
      const id = String(c.item);
      const pts = points.get(id);
      if (pts !== null && pts !== undefined && !skipped.has(id) && pts >= c.min) {
        critical.push({ item: id, level: c.level, value: given.get(id), label: c.label || {} });
      }
    }

    const flags = {};
    for (const f of d.flags) flags[f.code] = flag(f, d, given, subscales, total);

    const subscalesOut = {};
    for (const [k, v] of subscales) subscalesOut[k] = v.toJSONNumber();
    const answersOut = {};
    for (const [k, v] of given) answersOut[k] = v === MISSING ? null : v;
    const result = {
      scale: d.code, version: d.version, total: total.toJSONNumber(), raw_total: raw.toJSONNumber(),
      band: chosen.code, band_label: chosen.label, advice: chosen.advice, severity: chosen.severity,
      subscales: subscalesOut, critical, flags, answers: answersOut, skipped: [...skipped].sort(itemKey),
      missing, prorated, valid: true,
    };
    Object.defineProperty(result, "exact", { value: { total, raw_total: raw, subscales }, enumerable: false });
    return result;
  }

  function flag(rule, d, given, subscales, total) {
    const isInt = (v) => typeof v === "number" && Number.isInteger(v);
    if (rule.type === "cluster_counts") {
      const subs = new Map(d.subscales.map((s) => [s.code, s]));
      for (const [code, needed] of Object.entries(rule.require)) {
        const count = subs.get(code).items.filter((i) => { const v = given.get(String(i)); return isInt(v) && v >= rule.threshold; }).length;
        if (count < needed) return false;
      }
      return true;
    }
    if (rule.type === "any_of") {
      for (const cond of rule.conditions) {
        if ("total_gt" in cond && total.gt(Frac.of(cond.total_gt))) return true;
        if ("items_gte" in cond) {
          const count = [...given.values()].filter((v) => isInt(v) && v >= cond.items_gte).length;
          if (count > cond.count_gt) return true;
        }
        if ("any_subscale_gte" in cond && [...subscales.values()].some((v) => v.ge(Frac.of(cond.any_subscale_gte)))) return true;
      }
      return false;
    }
    throw new DefinitionError(`${d.code}: unknown flag type ${rule.type}`);
  }

  /** A registry keyed by code, for ``scoreCode`` (an unknown code is the server's "unknown scale" error). */
  function registry(definitions) {
    const map = new Map();
    for (const raw of Array.isArray(definitions) ? definitions : Object.values(definitions || {})) {
      const d = compile(raw);
      map.set(d.code, d);
    }
    return map;
  }

  function scoreCode(reg, code, answers, options) {
    const d = reg.get(code);
    if (!d) throw new ScoringError("scale", `未知量表：${code}`, `unknown scale: ${code}`);
    return score(d, answers, options);
  }

  return { score, scoreCode, compile, registry, ScoringError, DefinitionError, Frac, pyRepr, version: 1 };
});
