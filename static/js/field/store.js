/* Xinli field app: the encrypted device store (docs/field.md, "Client scoring and device store").
 *
 * Everything the field app keeps on the phone (the task pack, the persons in it, forms waiting to sync) goes through
 * this store, encrypted with SM4 (GB/T 32907) and authenticated with HMAC-SM3 (GB/T 32905), both from the vendored
 * npm package sm-crypto (static/vendor/sm-crypto). sm-crypto has SM4 in ECB and CBC modes only (no GCM), so a
 * record is SM4-CBC with a random IV, then HMAC-SM3 over it (encrypt-then-MAC), checked before anything is
 * decrypted:
 *
 *   envelope = 0x01 || IV (16 random bytes) || SM4-CBC-PKCS#7(enc key, IV, plaintext) || tag (32 bytes)
 *   tag      = HMAC-SM3(mac key, "XF1" || uint32be(len(aad)) || aad || 0x01 || IV || ciphertext)
 *
 * The aad binds a record to its place ("rec:<id>", "meta:check"), so a ciphertext copied onto another record fails.
 *
 * Keys: master = PBKDF2-SHA256(password, "xinli-field/v1/<username>/" || device salt, iterations ≥ 100,000) through
 * WebCrypto; enc key = first 16 bytes of HMAC-SM3(master, "xinli-field enc"), mac key = HMAC-SM3(master,
 * "xinli-field mac"), index key = HMAC-SM3(master, "xinli-field index"). The device salt (16 random bytes) is made
 * when the store is created. Neither the password nor any key is ever written anywhere: the keys live in this
 * object's memory while the store is open and are overwritten with zeros by close() and wipe().
 *
 * Record names are not stored either: a record's id is HMAC-SM3(index key, "k:" + key) and its namespace (the part
 * of the key before the first ":") HMAC-SM3(index key, "ns:" + namespace), so list("queue:") reads only that
 * namespace's records; the key itself travels inside the ciphertext.
 *
 * Expiry: the store expires ``ttlHours`` (default 72) after it was created or last marked synced (markSynced()).
 * open() of an expired store deletes it and fails with code "expired". The expiry is kept twice: in clear in the
 * meta record (so an expired store is deleted before any password is asked) and inside the authenticated check
 * record (so editing the clear copy does not extend it). After ``maxAttempts`` (default 10) wrong passwords in a row
 * the store is deleted ("locked_out").
 *
 *   const store = await XinliStore.open("doctor1", password, {ttlHours: 72});
 *   await store.put("queue:0001", {form: "smd_followup", ...});
 *   await store.get("queue:0001");  await store.list("queue:");  await store.delete("queue:0001");
 *   await store.markSynced();        // a sync succeeded: expiry moves to now + ttl
 *   await store.wipe();              // logout: the database is deleted
 *   await XinliStore.wipe("doctor1") // without the password (account disabled, device revoked)
 *
 * Audit: with ``{audit: true}`` every get, put, delete and list (outside the "audit:" namespace) adds an event
 * {action, key, deviceTime, ...} to the store under "audit:…", for the sync to send with the queued forms (the
 * server adds its own time); ``{audit: fn}`` hands each event to ``fn`` instead.
 *
 * Errors are XinliStore.StoreError with ``code`` (wrong_password, locked_out, expired, tampered, unavailable,
 * closed) and ``zh`` / ``en`` messages.
 *
 * Plain ES2020, no build step; UMD like score.js. In the browser load static/vendor/sm-crypto/sm3.js and sm4.js
 * first (they set globalThis.sm3 / sm4); in Node the vendored files are required from their relative path.
 */
(function (root, factory) {
  "use strict";
  const api = factory(root, typeof require === "function" ? require : null);
  if (typeof module === "object" && module && module.exports) module.exports = api;
  if (root) root.XinliStore = api;
})(typeof globalThis !== "undefined" ? globalThis : this, function (root, req) {
  "use strict";

  const FORMAT = 0x01;
  const IV_BYTES = 16;
  const TAG_BYTES = 32;
  const MIN_ITERATIONS = 100000;
  const DEFAULTS = { ttlHours: 72, iterations: 310000, maxAttempts: 10, now: () => Date.now(), audit: false };
  const DB_PREFIX = "xinli-field-";
  const AUDIT_PREFIX = "audit:";
  const enc = new TextEncoder();
  const dec = new TextDecoder("utf-8", { fatal: true });

  function lib(name) {
    if (root && root[name]) return root[name];
    if (req) return req(`../../vendor/sm-crypto/${name}.js`);
    throw new StoreError("unavailable", `缺少加密组件 ${name}（static/vendor/sm-crypto）`, `the ${name} library is not loaded (static/vendor/sm-crypto)`);
  }

  class StoreError extends Error {
    constructor(code, zh, en) {
      super(`${zh} / ${en}`);
      this.name = "StoreError";
      this.code = code;
      this.zh = zh;
      this.en = en;
    }
  }

  // ---- bytes ------------------------------------------------------------------------------------------------
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  function hexToBytes(hex) {
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  function bytesToHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function uint32be(n) {
    return new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  }
  function randomBytes(n) {
    const out = new Uint8Array(n);
    webcrypto().getRandomValues(out);
    return out;
  }
  function sameBytes(a, b) { // constant time for equal lengths
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  }
  function toBytes(data) {
    if (data instanceof Uint8Array) return data;
    if (typeof data === "string") return enc.encode(data);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw new TypeError("bytes, ArrayBuffer or text expected");
  }
  function webcrypto() {
    const c = root && root.crypto;
    if (!c || !c.subtle || !c.getRandomValues) {
      throw new StoreError("unavailable", "此浏览器不支持加密存储（需要 HTTPS 与 WebCrypto）",
        "this browser cannot keep the encrypted store (HTTPS and WebCrypto are needed)");
    }
    return c;
  }

  // ---- primitives (exported as XinliStore.crypto; tested against Python's cryptography) ---------------------
  function sm3(data) {
    return hexToBytes(lib("sm3")(Array.from(toBytes(data))));
  }
  function hmacSm3(key, data) {
    return hexToBytes(lib("sm3")(Array.from(toBytes(data)), { key: Array.from(toBytes(key)) }));
  }
  function sm4CbcEncrypt(key, iv, plaintext) {
    return Uint8Array.from(lib("sm4").encrypt(Array.from(toBytes(plaintext)), Array.from(key),
      { mode: "cbc", iv: Array.from(iv), padding: "pkcs#7", output: "array" }));
  }
  function sm4CbcDecrypt(key, iv, ciphertext) {
    return Uint8Array.from(lib("sm4").decrypt(Array.from(ciphertext), Array.from(key),
      { mode: "cbc", iv: Array.from(iv), padding: "pkcs#7", output: "array" }));
  }

  function macInput(aad, head) {
    const a = toBytes(aad);
    return concat(enc.encode("XF1"), uint32be(a.length), a, head);
  }

  /** Encrypt and authenticate ``plaintext`` (bytes or text) for place ``aad``; ``iv`` only for test vectors. */
  function seal(keys, plaintext, aad, iv) {
    iv = iv || randomBytes(IV_BYTES);
    if (iv.length !== IV_BYTES) throw new TypeError("the IV must be 16 bytes");
    const body = concat(new Uint8Array([FORMAT]), iv, sm4CbcEncrypt(keys.enc, iv, plaintext));
    return concat(body, hmacSm3(keys.mac, macInput(aad, body)));
  }

  /** Check and decrypt an envelope made by seal(); throws StoreError "tampered" when anything was changed. */
  function unseal(keys, envelope, aad) {
    envelope = toBytes(envelope);
    const tampered = () => new StoreError("tampered", "设备上的数据已损坏或被改动，无法读取", "data on this device is damaged or was changed and cannot be read");
    if (envelope.length < 1 + IV_BYTES + 16 + TAG_BYTES || envelope[0] !== FORMAT) throw tampered();
    const body = envelope.subarray(0, envelope.length - TAG_BYTES);
    const tag = envelope.subarray(envelope.length - TAG_BYTES);
    if (!sameBytes(hmacSm3(keys.mac, macInput(aad, body)), tag)) throw tampered();
    try {
      return sm4CbcDecrypt(keys.enc, body.subarray(1, 1 + IV_BYTES), body.subarray(1 + IV_BYTES));
    } catch (err) {
      throw tampered();
    }
  }

  function saltFor(username, deviceSalt) {
    return concat(enc.encode(`xinli-field/v1/${username}/`), deviceSalt);
  }

  /** The store's keys from the login password (PBKDF2-SHA256 via WebCrypto, then HMAC-SM3 expansion). */
  async function deriveKeys(password, salt, iterations) {
    if (!(iterations >= MIN_ITERATIONS)) throw new RangeError(`PBKDF2 needs at least ${MIN_ITERATIONS} iterations`);
    const subtle = webcrypto().subtle;
    const base = await subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveBits"]);
    const master = new Uint8Array(await subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256));
    const keys = {
      enc: hmacSm3(master, "xinli-field enc").slice(0, 16),
      mac: hmacSm3(master, "xinli-field mac"),
      index: hmacSm3(master, "xinli-field index"),
    };
    master.fill(0);
    return keys;
  }

  function blindId(keys, text) {
    return bytesToHex(hmacSm3(keys.index, text));
  }

  // ---- IndexedDB --------------------------------------------------------------------------------------------
  function idb() {
    const factory = root && root.indexedDB;
    if (!factory) {
      throw new StoreError("unavailable", "此浏览器不支持离线存储（IndexedDB）", "this browser has no offline storage (IndexedDB)");
    }
    return factory;
  }
  function request(r) {
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  function done(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
  }
  async function dbName(username) {
    const digest = new Uint8Array(await webcrypto().subtle.digest("SHA-256", enc.encode(`xinli-field/${username}`)));
    return DB_PREFIX + bytesToHex(digest.subarray(0, 16)); // the user name is not written in clear either
  }
  function openDb(name) {
    return new Promise((resolve, reject) => {
      const r = idb().open(name, 1);
      r.onupgradeneeded = () => {
        const db = r.result;
        db.createObjectStore("meta");
        db.createObjectStore("records", { keyPath: "id" }).createIndex("ns", "ns");
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new StoreError("unavailable", "离线存储被另一个窗口占用，请关闭其他窗口后重试", "the offline store is in use by another tab; close it and try again"));
    });
  }
  function deleteDb(name) {
    return new Promise((resolve, reject) => {
      const r = idb().deleteDatabase(name);
      r.onsuccess = () => resolve();
      r.onerror = () => reject(r.error);
      r.onblocked = () => resolve(); // deleted as soon as the other connections close
    });
  }
  async function readMeta(db) {
    const tx = db.transaction("meta", "readonly");
    const meta = await request(tx.objectStore("meta").get("meta"));
    await done(tx);
    return meta;
  }
  async function writeMeta(db, meta) {
    const tx = db.transaction("meta", "readwrite");
    tx.objectStore("meta").put(meta, "meta");
    await done(tx);
  }

  function namespaceOf(key) {
    const at = key.indexOf(":");
    return at < 0 ? "" : key.slice(0, at);
  }

  function checkRecord(keys, username, expiresAt) {
    return seal(keys, JSON.stringify({ purpose: "xinli-field-check", user: username, expiresAt }), "meta:check");
  }

  class Store {
    constructor(db, name, username, keys, meta, options) {
      this._db = db;
      this._user = username;
      this._name = name;
      this._keys = keys;
      this._meta = meta;
      this._options = options;
      this.expiresAt = meta.expiresAt;
    }
    _live() {
      if (!this._keys) throw new StoreError("closed", "离线存储已关闭，请重新登录", "the offline store is closed; sign in again");
      if (this._options.now() > this.expiresAt) {
        const name = this._name;
        this.close();
        deleteDb(name).catch(() => {}); // the error below is what the caller needs to hear
        throw new StoreError("expired", "离线数据已过期并已清除，请联网同步", "the offline data expired and was wiped; go online and sync");
      }
      return this._keys;
    }
    /** Note an offline read or write for the audit log (option ``audit``): a function is called with the event;
     * ``true`` keeps the events in this store under "audit:<device time>-<sequence>-<random>" for the sync to send. The
     * "audit:" namespace itself is not audited. */
    async _audit(action, key, extra = {}) {
      const audit = this._options.audit;
      if (!audit || String(key).startsWith(AUDIT_PREFIX)) return;
      const now = this._options.now();
      const event = { action, key: String(key), deviceTime: new Date(now).toISOString(), ...extra };
      if (typeof audit === "function") await audit(event);
      else {
        this._seq = (this._seq || 0) + 1; // in order within a session, unique across sessions
        await this._write(`${AUDIT_PREFIX}${String(now).padStart(15, "0")}-${String(this._seq).padStart(6, "0")}-${bytesToHex(randomBytes(4))}`, event);
      }
    }
    async put(key, value) {
      await this._write(String(key), value);
      await this._audit("write", key);
    }
    async _write(key, value) {
      const keys = this._live();
      const id = blindId(keys, `k:${key}`);
      const blob = seal(keys, JSON.stringify({ k: key, v: value, t: this._options.now() }), `rec:${id}`);
      const tx = this._db.transaction("records", "readwrite");
      tx.objectStore("records").put({ id, ns: blindId(keys, `ns:${namespaceOf(key)}`), blob });
      await done(tx);
    }
    _open(row) {
      const data = JSON.parse(dec.decode(unseal(this._keys, row.blob, `rec:${row.id}`)));
      if (blindId(this._keys, `k:${data.k}`) !== row.id) {
        throw new StoreError("tampered", "设备上的数据已损坏或被改动，无法读取", "data on this device is damaged or was changed and cannot be read");
      }
      return data;
    }
    async get(key) {
      const keys = this._live();
      const tx = this._db.transaction("records", "readonly");
      const row = await request(tx.objectStore("records").get(blindId(keys, `k:${String(key)}`)));
      await done(tx);
      const value = row === undefined ? undefined : this._open(row).v;
      await this._audit("read", key, { found: row !== undefined });
      return value;
    }
    async delete(key) {
      const keys = this._live();
      const tx = this._db.transaction("records", "readwrite");
      tx.objectStore("records").delete(blindId(keys, `k:${String(key)}`));
      await done(tx);
      await this._audit("delete", key);
    }
    /** Records whose key starts with ``prefix``, as [{key, value, time}] sorted by key. */
    async list(prefix = "") {
      const keys = this._live();
      prefix = String(prefix);
      const tx = this._db.transaction("records", "readonly");
      const records = tx.objectStore("records");
      const rows = prefix.includes(":")
        ? await request(records.index("ns").getAll(blindId(keys, `ns:${namespaceOf(prefix)}`)))
        : await request(records.getAll());
      await done(tx);
      const found = rows.map((row) => this._open(row)).filter((d) => d.k.startsWith(prefix))
        .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0)).map((d) => ({ key: d.k, value: d.v, time: d.t }));
      await this._audit("list", prefix, { keys: found.map((d) => d.key).filter((k) => !k.startsWith(AUDIT_PREFIX)) });
      return found;
    }
    /** A sync succeeded: the store now expires ``ttlHours`` from now. */
    async markSynced() {
      const keys = this._live();
      const expiresAt = this._options.now() + this._options.ttlHours * 3600 * 1000;
      const meta = { ...this._meta, expiresAt, lastSync: this._options.now(), check: checkRecord(keys, this._user, expiresAt) };
      await writeMeta(this._db, meta);
      this._meta = meta;
      this.expiresAt = expiresAt;
    }
    get lastSync() { return this._meta.lastSync || null; }
    /** Forget the keys (the data stays, encrypted); open() again to use it. */
    close() {
      if (this._keys) for (const k of Object.values(this._keys)) k.fill(0);
      this._keys = null;
      if (this._db) this._db.close();
      this._db = null;
    }
    /** Delete everything this store holds on the device (logout). */
    async wipe() {
      const name = this._name;
      this.close();
      await deleteDb(name);
    }
  }

  /**
   * Open (or create) ``username``'s store with the login password. Options: ttlHours (72), iterations (310,000;
   * at least 100,000; used when the store is created), maxAttempts (10), now (clock, for tests), audit (false; a
   * function called with each read/write event, or true to keep the events in the store under "audit:").
   */
  async function open(username, password, options = {}) {
    options = { ...DEFAULTS, ...options };
    if (!username || !password) throw new StoreError("wrong_password", "请输入用户名和密码", "give the user name and password");
    const name = await dbName(username);
    const db = await openDb(name);
    let meta = await readMeta(db);
    const now = options.now();
    if (!meta) { // a new store on this device
      const expiresAt = now + options.ttlHours * 3600 * 1000;
      const deviceSalt = randomBytes(16);
      const keys = await deriveKeys(password, saltFor(username, deviceSalt), options.iterations);
      meta = { format: 1, kdf: "PBKDF2-SHA256", cipher: "SM4-CBC+HMAC-SM3", salt: deviceSalt,
        iterations: options.iterations, created: now, expiresAt, lastSync: null, failures: 0,
        check: checkRecord(keys, username, expiresAt) };
      // Records left by an earlier store whose meta record never got written cannot be read with the new keys:
      // drop them in the same transaction.
      const tx = db.transaction(["meta", "records"], "readwrite");
      tx.objectStore("records").clear();
      tx.objectStore("meta").put(meta, "meta");
      await done(tx);
      return new Store(db, name, username, keys, meta, options);
    }
    const expired = async () => {
      db.close();
      await deleteDb(name);
      return new StoreError("expired", "离线数据超过有效期未同步，已从本机清除；请联网登录后重新下载任务",
        "the offline data was not synced in time and has been wiped from this device; sign in online and download the tasks again");
    };
    if (now > meta.expiresAt) throw await expired();
    const keys = await deriveKeys(password, saltFor(username, new Uint8Array(meta.salt)), meta.iterations);
    let check;
    try {
      check = JSON.parse(dec.decode(unseal(keys, meta.check, "meta:check")));
    } catch (err) {
      for (const k of Object.values(keys)) k.fill(0);
      const failures = (meta.failures || 0) + 1;
      if (failures >= options.maxAttempts) {
        db.close();
        await deleteDb(name);
        throw new StoreError("locked_out", `密码连续错误 ${failures} 次，本机离线数据已清除`,
          `wrong password ${failures} times in a row: the offline data on this device has been wiped`);
      }
      await writeMeta(db, { ...meta, failures });
      db.close();
      const left = options.maxAttempts - failures;
      throw new StoreError("wrong_password", `密码错误：请输入本账号的登录密码（还可尝试 ${left} 次，之后本机离线数据将被清除）`,
        `wrong password: enter this account's login password (${left} tries left before the offline data is wiped)`);
    }
    if (check.user !== username || now > check.expiresAt) throw await expired();
    meta = { ...meta, failures: 0, expiresAt: check.expiresAt };
    await writeMeta(db, meta);
    return new Store(db, name, username, keys, meta, options);
  }

  /** Delete ``username``'s store without its password (logout, account disabled, device revoked). */
  async function wipe(username) {
    await deleteDb(await dbName(username));
  }

  /** Delete every field store on this device (where the browser can list databases). */
  async function wipeAll() {
    const factory = idb();
    if (typeof factory.databases !== "function") return false;
    const list = await factory.databases();
    await Promise.all(list.filter((d) => d.name && d.name.startsWith(DB_PREFIX)).map((d) => deleteDb(d.name)));
    return true;
  }

  return {
    open, wipe, wipeAll, StoreError, DEFAULTS,
    crypto: { seal, unseal, deriveKeys, saltFor, hmacSm3, sm3, sm4CbcEncrypt, sm4CbcDecrypt, blindId, hexToBytes, bytesToHex },
  };
});
