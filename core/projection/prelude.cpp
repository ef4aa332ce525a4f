// The JavaScript side of the projection runtime: the KurrentDB projection API as globals, the event
// envelope, partition bookkeeping and the per-event driver the C++ side calls. Written for
// Chronoscope from the documented behaviour of the KurrentDB server prelude (see docs/projections.md).

#include "projection/prelude.h"

namespace chronoscope {

const char* projectionPreludeSource()
{
    return R"JS((function (global) {
"use strict";

var def = {
    selector: null, streams: [], categories: [], matching: null,
    byStream: false, partitionFn: null, biState: false,
    init: null, initShared: null, any: [], byType: Object.create(null), types: [],
    created: [], deleted: [], transforms: [], outputState: false,
    options: { resultStreamName: null, partitionResultStreamNamePattern: null, $includeLinks: false,
               reorderEvents: false, processingLag: 0, biState: false },
    whenCalled: false
};
var defining = true;
var typeElseAny = false;
var st = { root: undefined, parts: new Map(), shared: undefined, started: false };
var position = 0;
var handlerName = "";
var lastError = null;
var emitted = [], emittedCount = 0, maxEmits = 10000;
var logs = [], logCount = 0, maxLogs = 10000;
var watchFn = null;
var lastPart = "";
var jsonStringify = JSON.stringify, jsonParse = JSON.parse;
var SKIP = -1, FAILED = -2;
var api = null;
var track = null;

function failDefinition(msg) { throw new Error(msg); }
function needDefining(name) {
    if (!defining)
        throw new Error(name + "() can only be called while the projection is being defined, not inside a handler");
}
function setSelector(name) {
    needDefining(name);
    if (def.selector !== null)
        failDefinition("a projection has one selector, but " + name + "() was called after " + def.selector + "()");
    def.selector = name;
}
function chain(label, methods) {
    var o = {};
    for (var i = 0; i < methods.length; i++)
        o[methods[i]] = api[methods[i]];
    Object.defineProperty(o, "toString", { value: function () { return label; } });
    return o;
}
function isFn(f) { return typeof f === "function"; }

api = {
    when: function (handlers) {
        needDefining("when");
        if (handlers === null || typeof handlers !== "object")
            failDefinition("when() expects an object of handlers, e.g. when({ $init: function () { return {}; } })");
        if (def.whenCalled)
            failDefinition("when() was called twice");
        def.whenCalled = true;
        var names = Object.keys(handlers);
        for (var i = 0; i < names.length; i++) {
            var name = names[i], h = handlers[name];
            if (!isFn(h))
                failDefinition("handler '" + name + "' in when() is not a function");
            if (name === "$init") def.init = h;
            else if (name === "$initShared") { def.initShared = h; def.biState = true; }
            else if (name === "$any") def.any.push(h);
            else if (name === "$created") def.created.push(h);
            else if (name === "$deleted") {
                if (def.biState) failDefinition("$deleted cannot be used together with $initShared (bi-state projection)");
                def.deleted.push(h);
            }
            else { def.byType[name] = h; def.types.push(name); }
        }
        return chain("when(…)", ["transformBy", "filterBy", "outputState", "outputTo", "$defines_state_transform"]);
    },
    partitionBy: function (fn) {
        needDefining("partitionBy");
        if (!isFn(fn)) failDefinition("partitionBy() expects a function (event) => partition name");
        def.partitionFn = fn;
        return chain("partitionBy(…)", ["when"]);
    },
    foreachStream: function () {
        needDefining("foreachStream");
        def.byStream = true;
        return chain("foreachStream()", ["when"]);
    },
    outputState: function () {
        needDefining("outputState");
        def.outputState = true;
        return chain("outputState()", ["transformBy", "filterBy", "outputTo"]);
    },
    transformBy: function (fn) {
        needDefining("transformBy");
        if (!isFn(fn)) failDefinition("transformBy() expects a function (state) => result");
        def.transforms.push({ filter: false, fn: fn });
        def.outputState = true;
        return chain("transformBy(…)", ["transformBy", "filterBy", "outputState", "outputTo"]);
    },
    filterBy: function (fn) {
        needDefining("filterBy");
        if (!isFn(fn)) failDefinition("filterBy() expects a function (state) => boolean");
        def.transforms.push({ filter: true, fn: fn });
        def.outputState = true;
        return chain("filterBy(…)", ["transformBy", "filterBy", "outputState", "outputTo"]);
    },
    outputTo: function (stream, pattern) {
        needDefining("outputTo");
        if (typeof stream !== "string") failDefinition("outputTo() expects a stream name");
        def.options.resultStreamName = stream;
        if (pattern !== undefined) def.options.partitionResultStreamNamePattern = String(pattern);
        def.outputState = true;
        return chain("outputTo(…)", []);
    },
    $defines_state_transform: function () { def.outputState = true; }
};

function listArgs(args, what) {
    var arr = (args.length === 1 && Array.isArray(args[0])) ? args[0] : Array.prototype.slice.call(args);
    if (arr.length === 0) failDefinition(what + "() needs at least one name");
    for (var i = 0; i < arr.length; i++)
        if (typeof arr[i] !== "string" || arr[i] === "")
            failDefinition(what + "() expects stream names as strings, got " + jsonStringify(arr[i]));
    return arr.slice();
}

var globals = {
    fromAll: function () {
        setSelector("fromAll");
        return chain("fromAll()", ["partitionBy", "when", "foreachStream", "outputState"]);
    },
    fromStream: function (stream) {
        setSelector("fromStream");
        if (typeof stream !== "string" || stream === "") failDefinition("fromStream() expects a stream name");
        def.streams.push(stream);
        return chain("fromStream(…)", ["partitionBy", "when", "outputState"]);
    },
    fromStreams: function () {
        setSelector("fromStreams");
        def.streams = listArgs(arguments, "fromStreams");
        return chain("fromStreams(…)", ["partitionBy", "when", "outputState"]);
    },
    fromCategory: function () {
        setSelector("fromCategory");
        def.categories = listArgs(arguments, "fromCategory");
        return chain("fromCategory(…)", ["partitionBy", "when", "foreachStream", "outputState"]);
    },
    fromCategories: function () {
        setSelector("fromCategories");
        def.categories = listArgs(arguments, "fromCategories");
        return chain("fromCategories(…)", ["partitionBy", "when", "outputState"]);
    },
    fromStreamsMatching: function (fn) {
        setSelector("fromStreamsMatching");
        if (!isFn(fn)) failDefinition("fromStreamsMatching() expects a function (streamId, event) => boolean");
        def.matching = fn;
        return chain("fromStreamsMatching(…)", ["when"]);
    },
    options: function (o) {
        needDefining("options");
        if (o === null || typeof o !== "object") failDefinition("options() expects an object");
        var names = Object.keys(o);
        for (var i = 0; i < names.length; i++) {
            if (!(names[i] in def.options)) failDefinition("Unrecognized option: " + names[i]);
            def.options[names[i]] = o[names[i]];
        }
        if (def.options.biState === true) def.biState = true;
    },
    on_any: function (fn) { needDefining("on_any"); if (!isFn(fn)) failDefinition("on_any() expects a function"); def.any.push(fn); },
    on_event: function (name, fn) {
        needDefining("on_event");
        if (typeof name !== "string" || !isFn(fn)) failDefinition("on_event() expects (eventType, function)");
        def.byType[name] = fn; def.types.push(name);
    },
    emit: function (streamId, eventType, body, metadata) {
        if (typeof streamId !== "string" || streamId.trim() === "") throw new Error("emit(): streamId must be a non-empty string");
        if (typeof eventType !== "string" || eventType.trim() === "") throw new Error("emit(): eventType must be a non-empty string");
        if (body === null || typeof body !== "object") throw new Error("emit(): the event body must be an object");
        if (metadata !== undefined && (metadata === null || typeof metadata !== "object")) throw new Error("emit(): metadata must be an object");
        record("emit", streamId, eventType, body, metadata);
    },
    linkTo: function (streamId, event, metadata) {
        if (typeof streamId !== "string" || streamId.trim() === "") throw new Error("linkTo(): streamId must be a non-empty string");
        if (event === null || typeof event !== "object" || typeof event.streamId !== "string")
            throw new Error("linkTo(): the second argument must be the event being handled");
        record("linkTo", streamId, "$>", event.sequenceNumber + "@" + event.streamId, metadata);
    },
    copyTo: function (streamId, event, metadata) {
        if (typeof streamId !== "string" || streamId.trim() === "") throw new Error("copyTo(): streamId must be a non-empty string");
        if (event === null || typeof event !== "object") throw new Error("copyTo(): the second argument must be the event being handled");
        var m = {}, k, em = event.metadata;
        if (em) for (k in em) if (k.indexOf("$") !== 0 || k === "$correlationId") m[k] = em[k];
        if (metadata) for (k in metadata) if (k.indexOf("$") !== 0) m[k] = metadata[k];
        record("copyTo", streamId, event.eventType, event.isJson ? event.body : event.bodyRaw, m);
    },
    linkStreamTo: function (streamId, linkedStreamId, metadata) {
        if (typeof streamId !== "string" || streamId.trim() === "") throw new Error("linkStreamTo(): streamId must be a non-empty string");
        if (typeof linkedStreamId !== "string" || linkedStreamId.trim() === "") throw new Error("linkStreamTo(): linkedStreamId must be a non-empty string");
        record("linkStreamTo", streamId, "$@", linkedStreamId, metadata);
    },
    log: function () {
        var parts = [];
        for (var i = 0; i < arguments.length; i++) {
            var a = arguments[i];
            if (typeof a === "string") parts.push(a);
            else { try { parts.push(jsonStringify(a)); } catch (e) { parts.push(String(a)); } }
        }
        logCount++;
        if (logs.length < maxLogs) logs.push({ position: position, text: parts.join(" ") });
    }
};

function sandboxed(name, what) {
    return function () {
        throw new Error(name + " is not available: projections run sandboxed, without " + what + " access");
    };
}
globals.require = sandboxed("require()", "file or module");
globals.fetch = sandboxed("fetch()", "network");
globals.XMLHttpRequest = sandboxed("XMLHttpRequest", "network");
globals.importScripts = sandboxed("importScripts()", "file or module");
globals.WebSocket = sandboxed("WebSocket", "network");

function record(kind, stream, type, body, metadata) {
    emittedCount++;
    if (emitted.length >= maxEmits) return;
    var b, m;
    try { b = body === undefined ? null : jsonParse(jsonStringify(body)); } catch (e) { b = String(body); }
    try { m = metadata === undefined ? null : jsonParse(jsonStringify(metadata)); } catch (e) { m = null; }
    emitted.push({ kind: kind, position: position, stream: stream, type: type, body: b, metadata: m });
}

Object.keys(globals).forEach(function (k) {
    Object.defineProperty(global, k, { value: globals[k], writable: true, configurable: true, enumerable: false });
});

// The event as handlers see it. body/data/metadata parse lazily: most handlers touch one or two fields.
function Envelope(bodyRaw, isJson, eventType, streamId, sequenceNumber, metadataRaw, eventId, pos, timeMs, category) {
    this.isJson = isJson;
    this.bodyRaw = bodyRaw;
    this.eventType = eventType;
    this.streamId = streamId;
    this.sequenceNumber = sequenceNumber;
    this.metadataRaw = metadataRaw;
    this.category = category;
    this.eventId = eventId;
    this.position = pos;
    this.timeMs = timeMs;
}
// Defaults live on the prototype: fewer stores per event (assigning one makes it an own property).
Envelope.prototype.linkMetadataRaw = null;
Envelope.prototype.partition = "";
Envelope.prototype.body_ = undefined;
Envelope.prototype.bodyParsed_ = false;
Envelope.prototype.metadata_ = undefined;
function parseBody(e) {
    if (!e.bodyParsed_) {
        e.bodyParsed_ = true;
        if (e.isJson) {
            try { e.body_ = e.bodyRaw === "" ? {} : jsonParse(e.bodyRaw); }
            catch (err) { e.body_ = undefined; e.jsonError = String(err); }
        }
    }
    return e.body_;
}
function setBody(v) { this.bodyParsed_ = true; this.body_ = v; }
Object.defineProperty(Envelope.prototype, "body", { get: function () { return parseBody(this); }, set: setBody });
Object.defineProperty(Envelope.prototype, "data", { get: function () { return parseBody(this); }, set: setBody });
Object.defineProperty(Envelope.prototype, "metadata", {
    get: function () {
        if (this.metadata_ === undefined) {
            try { this.metadata_ = this.metadataRaw ? jsonParse(this.metadataRaw) : null; }
            catch (err) { this.metadata_ = null; }
        }
        return this.metadata_;
    },
    set: function (v) { this.metadata_ = v; }
});
Object.defineProperty(Envelope.prototype, "linkMetadata", { get: function () { return {}; } });
Object.defineProperty(Envelope.prototype, "time", {
    get: function () { return this.timeMs === null ? null : new Date(this.timeMs).toISOString(); }
});
Object.defineProperty(Envelope.prototype, "type", { get: function () { return this.eventType; } });

function call(name, fn, a, b, c, d) {
    handlerName = name;
    return fn(a, b, c, d);
}
function initialState() {
    return def.init ? call("$init", def.init) : {};
}
function ensureStarted() {
    if (st.started) return;
    st.started = true;
    if (def.biState) st.shared = def.initShared ? call("$initShared", def.initShared) : {};
    if (!partitioned()) st.root = initialState();
}
function partitioned() { return def.byStream || def.partitionFn !== null; }
function hasHandlers() { return def.any.length > 0 || def.types.length > 0; }

function fail(err) {
    var e = { message: "", line: 0, file: "", stack: "", handler: handlerName, thrown: "" };
    if (err instanceof Error) {
        e.message = String(err.name ? err.name + ": " + err.message : err.message);
        e.line = err.lineNumber || 0;
        e.file = err.fileName || "";
        e.stack = err.stack || "";
    } else {
        var s;
        try { s = typeof err === "string" ? err : jsonStringify(err); } catch (x) { s = String(err); }
        e.message = "uncaught exception: " + s;
        e.thrown = s;
    }
    lastError = e;
    return FAILED;
}

// The partition an event belongs to ("" when unpartitioned); SKIP when partitionBy() gave none.
function partitionOf(env) {
    if (def.partitionFn !== null) {
        var p = call("partitionBy", def.partitionFn, env);
        if (p === null || p === undefined) return SKIP;
        if (typeof p !== "string" && typeof p !== "number")
            throw new Error("partitionBy() must return a string or a number, got " + (typeof p));
        return String(p);
    }
    if (def.byStream) return env.streamId;
    return "";
}
function getState(part) {
    if (!partitioned()) return { s: st.root, isNew: false };
    if (st.parts.has(part)) return { s: st.parts.get(part), isNew: false };
    return { s: initialState(), isNew: true };
}
function putState(part, s) {
    if (!partitioned()) st.root = s; else st.parts.set(part, s);
}
function handlerView(s) { return def.biState ? [s, st.shared] : s; }
function fromView(v, fallback) {
    if (!def.biState) return v;
    if (Array.isArray(v)) { st.shared = v[1]; return v[0]; }
    return fallback;
}
function runOne(name, fn, view, env) {
    var r = call(name, fn, view, env);
    return r === undefined ? view : r;
}
function runHandlers(s, env) {
    if (!hasHandlers()) return env.isJson ? env.body : { $e: env.bodyRaw };
    var view = handlerView(s);
    var typed = def.byType[env.eventType];
    var i;
    if (typeElseAny) {
        if (typed !== undefined) view = runOne(env.eventType, typed, view, env);
        else for (i = 0; i < def.any.length; i++) view = runOne("$any", def.any[i], view, env);
    } else {
        for (i = 0; i < def.any.length; i++) view = runOne("$any", def.any[i], view, env);
        if (typed !== undefined) view = runOne(env.eventType, typed, view, env);
    }
    return fromView(view, s);
}
function deleteNotification(env) {
    // A stream deletion ($streamDeleted, or $metadata with $tb on $$stream) notifies $deleted of foreachStream().
    if (!def.byStream || def.deleted.length === 0) return false;
    var stream = null, soft = false;
    if (env.eventType === "$streamDeleted") stream = env.streamId;
    else if (env.eventType === "$metadata" && env.streamId.indexOf("$$") === 0) {
        var b = env.body;
        if (b && b.$tb !== undefined) { stream = env.streamId.substring(2); soft = true; }
    }
    if (stream === null || !st.parts.has(stream)) return false;
    var s = st.parts.get(stream);
    for (var i = 0; i < def.deleted.length; i++) {
        var r = call("$deleted", def.deleted[i], s, null, stream, soft);
        if (r !== undefined) s = r;
    }
    st.parts.set(stream, s);
    return stream;
}

var SEP = "\u0000";
// mode 0: plain; 1: compare (returns partition + SEP + serialized state); 2: watch (returns code);
// 3: blame (1 when the tracked value changed)
function processEvent(mode, bodyRaw, isJson, eventType, streamId, seq, metadataRaw, eventId, pos, timeMs, category) {
    position = pos;
    handlerName = "";
    try {
        ensureStarted();
        var env = new Envelope(bodyRaw, isJson, eventType, streamId, seq, metadataRaw, eventId, pos, timeMs, category);
        var deletedPart = deleteNotification(env);
        if (deletedPart !== false)
            return mode === 1 ? deletedPart + SEP + serializePart(deletedPart) : (mode >= 2 ? 0 : deletedPart);
        if (def.matching !== null) {
            handlerName = "fromStreamsMatching";
            if (!def.matching(streamId, env)) return SKIP;
        }
        if (def.any.length === 0 && def.types.length > 0 && def.byType[eventType] === undefined) return SKIP;
        var part = partitionOf(env);
        if (part === SKIP) return SKIP;
        env.partition = part;
        lastPart = part;
        var g = getState(part);
        var s = g.s;
        if (g.isNew) {
            for (var i = 0; i < def.created.length; i++)
                call("$created", def.created[i], handlerView(s), env);
        }
        var before = false, tracked = null;
        if (mode === 2) before = evalWatch(handlerView(s), env);
        else if (mode === 3 && (track.part === null || track.part === part)) tracked = trackValue(s);
        s = runHandlers(s, env);
        putState(part, s);
        if (mode === 3) return tracked !== null && trackValue(s) !== tracked ? 1 : 0;
        if (mode === 1) return part + SEP + serializePart(part);
        if (mode === 2) {
            var after = evalWatch(handlerView(s), env);
            return (after ? 1 : 0) | (before ? 2 : 0);
        }
        return part;
    } catch (err) {
        return fail(err);
    }
}
// Blame: the JSON text at a pointer inside one partition's state (or the shared state).
var MISSING = "\u0001missing";
function trackValue(s) {
    var v = track.shared ? st.shared : s;
    for (var i = 0; i < track.tokens.length; i++) {
        if (v === null || typeof v !== "object") return MISSING;
        var t = track.tokens[i];
        if (Array.isArray(v) && !/^(0|[1-9][0-9]*)$/.test(t)) return MISSING;
        if (!Object.prototype.hasOwnProperty.call(v, t)) return MISSING;
        v = v[t];
    }
    var r;
    try { r = jsonStringify(v); } catch (e) { r = String(v); }
    return r === undefined ? MISSING : r;
}
function evalWatch(view, env) {
    handlerName = "watch predicate";
    var r = watchFn(view, env);
    handlerName = "";
    return !!r;
}

function serializeValue(v) {
    if (v === undefined) return "null";
    if (typeof v === "function") throw new TypeError("the state is a function, not a JSON value");
    if (typeof v === "bigint") throw new TypeError("the state is a BigInt, not a JSON value");
    var s = jsonStringify(v);
    return s === undefined ? "null" : s;
}
function serializePart(part) {
    if (!partitioned()) return serializeValue(st.root);
    return st.parts.has(part) ? serializeValue(st.parts.get(part)) : "";
}

var host = {
    finishDefinition: function (order, maxE, maxL) {
        defining = false;
        typeElseAny = order === 1;
        maxEmits = maxE; maxLogs = maxL;
        var o = def.options;
        return {
            selector: def.selector === null ? "" : def.selector,
            streams: def.streams, categories: def.categories,
            byStream: def.byStream, byCustomPartition: def.partitionFn !== null,
            biState: def.biState, hasInit: def.init !== null, hasAny: def.any.length > 0,
            hasCreated: def.created.length > 0, hasDeleted: def.deleted.length > 0,
            eventTypes: def.types, transforms: def.transforms.length, outputState: def.outputState,
            includeLinks: o.$includeLinks === true,
            resultStreamName: o.resultStreamName === null ? "" : String(o.resultStreamName)
        };
    },
    process: processEvent,
    lastError: function () { var e = lastError; lastError = null; return e; },
    handlerName: function () { return handlerName; },
    lastPartition: function () { return lastPart; },
    // Everything needed to resume: all partitions and the shared state.
    serialize: function () {
        handlerName = "";
        try {
            ensureStarted();
            var out = "{\"started\":true";
            if (def.biState) out += ",\"shared\":" + serializeValue(st.shared);
            if (partitioned()) {
                out += ",\"parts\":{";
                var first = true;
                st.parts.forEach(function (v, k) {
                    out += (first ? "" : ",") + jsonStringify(k) + ":" + serializeValue(v);
                    first = false;
                });
                out += "}";
            } else {
                out += ",\"root\":" + serializeValue(st.root);
            }
            return out + "}";
        } catch (err) {
            return fail(err);
        }
    },
    restore: function (text) {
        var o = jsonParse(text);
        st.started = true;
        st.shared = o.shared;
        st.root = o.root;
        st.parts = new Map();
        if (o.parts) { var ks = Object.keys(o.parts); for (var i = 0; i < ks.length; i++) st.parts.set(ks[i], o.parts[ks[i]]); }
    },
    reset: function () { st = { root: undefined, parts: new Map(), shared: undefined, started: false }; position = 0; },
    partitionState: function (part) { return serializePart(part); },
    sharedState: function () { return def.biState ? serializeValue(st.shared) : ""; },
    // The transformBy/filterBy chain applied to one state: null when filtered out.
    transform: function (text) {
        handlerName = "";
        try {
            var s = jsonParse(text);
            for (var i = 0; i < def.transforms.length; i++) {
                var t = def.transforms[i];
                if (t.filter) {
                    if (call("filterBy", t.fn, s) !== true) return "null";
                } else {
                    s = call("transformBy", t.fn, s);
                }
                if (s === null || s === undefined) return "null";
            }
            return serializeValue(s);
        } catch (err) {
            return fail(err);
        }
    },
    setWatch: function (fn) { watchFn = fn; },
    setTrack: function (part, shared, tokens) { track = { part: part, shared: shared, tokens: tokens }; },
    takeEmitted: function () { var r = { items: emitted, total: emittedCount }; emitted = []; emittedCount = 0; return jsonStringify(r); },
    takeLogs: function () { var r = { items: logs, total: logCount }; logs = []; logCount = 0; return jsonStringify(r); }
};
return host;
}))JS";
}

} // namespace chronoscope
