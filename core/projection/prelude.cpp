// The JavaScript side of the projection runtime: the KurrentDB projection API as globals, the event
// envelope, partition bookkeeping and the per-event driver the C++ side calls. Written for
// Chronoscope from the documented behaviour of the KurrentDB server prelude (see docs/projections.md).

#include "projection/prelude.h"

namespace chronoscope {

const char* projectionPreludeSource()
{
    return R"JS((function (global, maxArray, maxChars) {
"use strict";

// Built-ins the runtime relies on, captured before the projection's script runs: a script that replaces
// Map.prototype.forEach, Object.keys or Function.prototype.call changes its own code, never how the
// runtime keeps partitions, serializes states or records emits.
var fnCall = Function.prototype.call;
function uncurry(f) { return fnCall.bind(f); }
var apply = uncurry(Function.prototype.apply);
var FunctionCtor = Function, ErrorCtor = Error, TypeErrorCtor = TypeError, RangeErrorCtor = RangeError;
var MapCtor = Map, reflectConstruct = Reflect.construct, setPrototypeOf = Object.setPrototypeOf;
var mapGet = uncurry(Map.prototype.get), mapSet = uncurry(Map.prototype.set), mapHas = uncurry(Map.prototype.has);
var mapForEach = uncurry(Map.prototype.forEach);
var objectKeys = Object.keys, objectCreate = Object.create, defineProperty = Object.defineProperty;
var hasOwn = uncurry(Object.prototype.hasOwnProperty);
var isArray = Array.isArray;
var arrayPush = uncurry(Array.prototype.push), arraySlice = uncurry(Array.prototype.slice);
var arrayJoin = uncurry(Array.prototype.join);
var StringCtor = String, strIndexOf = uncurry(String.prototype.indexOf), strSubstring = uncurry(String.prototype.substring);
var strTrim = uncurry(String.prototype.trim);
var regexTest = uncurry(RegExp.prototype.test);
var DateCtor = Date, dateToISOString = uncurry(Date.prototype.toISOString);
var jsonStringify = JSON.stringify, jsonParse = JSON.parse;
var mathMax = Math.max, mathFloor = Math.floor;

// Limits on built-ins that run to completion in C++ (the watchdog's interrupt only reaches JavaScript):
// each refuses, before it starts, work on more than maxArray elements or a result of more than maxChars.
function limitError(message) {
    var e = new RangeErrorCtor(message + " (a projection's memory limit; see docs/projections.md)");
    e.chronoscopeLimit = true;
    return e;
}
function lengthOf(o) {
    if (o === null || o === undefined) return 0;
    var n = +o.length;
    return n > 0 ? n : 0;
}
function guardLength(owner, ownerName, name, factor) {
    var orig = owner[name];
    if (typeof orig !== "function") return;
    var limit = mathMax(1, mathFloor(maxArray / factor));
    var wrapped = function () {
        var n = lengthOf(this);
        if (name === "concat")
            for (var i = 0; i < arguments.length; i++) n += isArray(arguments[i]) ? lengthOf(arguments[i]) : 1;
        if (n > limit)
            throw limitError(ownerName + "." + name + "() on " + n + " elements: at most " + limit + " are allowed");
        return apply(orig, this, arguments);
    };
    defineProperty(owner, name, { value: wrapped, writable: true, configurable: true, enumerable: false });
}
["fill", "join", "reverse", "indexOf", "lastIndexOf", "includes", "copyWithin", "slice", "splice", "concat",
 "flat", "flatMap", "forEach", "map", "filter", "reduce", "reduceRight", "some", "every", "find", "findIndex",
 "toLocaleString"].forEach(function (n) { guardLength(Array.prototype, "Array.prototype", n, 1); });
guardLength(Array.prototype, "Array.prototype", "sort", 8);  // n log n comparisons
(function () {
    var from = Array.from;
    defineProperty(Array, "from", { writable: true, configurable: true, enumerable: false, value: function (src) {
        var n = src === null || src === undefined ? 0 : mathMax(lengthOf(src), +src.size > 0 ? +src.size : 0);
        if (n > maxArray) throw limitError("Array.from() of " + n + " elements: at most " + maxArray + " are allowed");
        return apply(from, this, arguments);
    } });
})();
function guardStringResult(name, resultLength) {
    var orig = String.prototype[name];
    defineProperty(String.prototype, name, { writable: true, configurable: true, enumerable: false, value: function () {
        var n = resultLength(StringCtor(this), arguments);
        if (n > maxChars) throw limitError("String.prototype." + name + "() making " + n + " characters: at most " + maxChars + " are allowed");
        return apply(orig, this, arguments);
    } });
}
guardStringResult("repeat", function (s, a) { return s.length * (+a[0] || 0); });
guardStringResult("padStart", function (s, a) { return +a[0] || 0; });
guardStringResult("padEnd", function (s, a) { return +a[0] || 0; });
// Typed arrays and buffers allocate (and zero) their whole size at once.
["ArrayBuffer", "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array",
 "Uint32Array", "Float32Array", "Float64Array"].forEach(function (name) {
    var Ctor = global[name];
    if (typeof Ctor !== "function") return;
    var per = Ctor.BYTES_PER_ELEMENT || 1;
    // A plain function (QV4's Proxy breaks instanceof): same prototype, statics inherited from the original.
    var guarded = function () {
        var a0 = arguments[0];
        var n = typeof a0 === "number" ? a0 * per : lengthOf(a0) * per;
        if (n > maxChars) throw limitError("new " + name + "() of " + n + " bytes: at most " + maxChars + " are allowed");
        return reflectConstruct(Ctor, arguments);
    };
    guarded.prototype = Ctor.prototype;
    setPrototypeOf(guarded, Ctor);
    defineProperty(Ctor.prototype, "constructor", { value: guarded, writable: true, configurable: true, enumerable: false });
    defineProperty(global, name, { value: guarded, writable: true, configurable: true, enumerable: false });
});

// JSON text size, counted value by value while JSON.stringify runs (after toJSON, before the text is
// built): a state or value larger than the budget stops it early instead of making gigabytes of text.
// One shared replacer (no closure per call: states are serialized per event while comparing).
var countLeft = 0, countOver = null;
function countJson(key, value) {
    // A lower bound of the text this value adds (escapes and long numbers add more; the text's exact size is
    // checked afterwards), except an array's length, counted before its elements are visited.
    var t = typeof value;
    var n = isArray(this) ? 1 : key.length + 3;
    if (t === "string") n += value.length + 2;
    else if (t === "object" && value !== null) n += isArray(value) ? 2 + lengthOf(value) : 2;
    else n += 1;
    if ((countLeft -= n) < 0) throw countOver();
    return value;
}
function jsonCounter(budget, onOver) {
    var left = budget;
    return function (key, value) {
        var savedLeft = countLeft, savedOver = countOver;
        countLeft = left; countOver = onOver;
        try { return apply(countJson, this, [StringCtor(key), value]); }
        finally { left = countLeft; countLeft = savedLeft; countOver = savedOver; }
    };
}
function boundedStringify(value, budget, onOver) {
    var savedLeft = countLeft, savedOver = countOver;  // a toJSON may stringify while we count
    countLeft = budget; countOver = onOver;
    try { return jsonStringify(value, countJson); }
    finally { countLeft = savedLeft; countOver = savedOver; }
}
// The projection's own JSON.stringify gets the same bound; JSON.stringify and JSON.parse cannot be
// replaced (the runtime relies on them: a replaced one would silently change what a state shows).
(function () {
    function guarded(value, replacer, space) {
        var over = function () { return limitError("JSON.stringify() of more than " + maxChars + " characters"); };
        if (isArray(replacer)) {
            boundedStringify(value, maxChars, over);  // a dry run bounds the real one
            return jsonStringify(value, replacer, space);
        }
        var count = jsonCounter(maxChars, over), user = typeof replacer === "function" ? replacer : null;
        var pad = space === undefined || space === null ? 0 : 11;
        return jsonStringify(value, function (key, v) {
            if (user !== null) v = apply(user, this, [key, v]);
            if (pad) count(key, "          ");
            return count(key, v);
        }, space);
    }
    function refuse(name) {
        return function () { throw new TypeErrorCtor(name + " cannot be replaced in a projection: the runtime relies on it"); };
    }
    defineProperty(JSON, "stringify", { get: function () { return guarded; }, set: refuse("JSON.stringify"),
                                        enumerable: false, configurable: false });
    defineProperty(JSON, "parse", { get: function () { return jsonParse; }, set: refuse("JSON.parse"),
                                    enumerable: false, configurable: false });
})();

var def = {
    selector: null, streams: [], categories: [], matching: null,
    byStream: false, partitionFn: null, biState: false,
    init: null, initShared: null, any: [], byType: objectCreate(null), types: [],
    // The source definition, as KurrentDB builds it while when()'s keys are read (see docs/projections.md):
    // it starts as "all events"; $any sets all events, a type handler unsets it and adds its type.
    allEvents: true, typeBeforeAny: null,
    created: [], deleted: [], transforms: [], outputState: false,
    options: { resultStreamName: null, partitionResultStreamNamePattern: null, $includeLinks: false,
               reorderEvents: false, processingLag: 0, biState: false },
    whenCalled: false
};
var defining = true;
var v8Order = false;
var st = { root: undefined, parts: new MapCtor(), shared: undefined, started: false };
var position = 0;
var handlerName = "";
var lastError = null;
var emitted = [], emittedCount = 0, maxEmits = 10000, emittedChars = 0;
var logs = [], logCount = 0, maxLogs = 10000;
var watchFn = null;
var lastPart = "";
var MAX_LOG_LINE = 65536;
var SKIP = -1, FAILED = -2;
var api = null;
var track = null;

function failDefinition(msg) { throw new ErrorCtor(msg); }
function needDefining(name) {
    if (!defining)
        throw new ErrorCtor(name + "() can only be called while the projection is being defined, not inside a handler");
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
    defineProperty(o, "toString", { value: function () { return label; } });
    return o;
}
function isFn(f) { return typeof f === "function"; }
function addAny(h) {
    def.any = [h];  // the server keeps one $any (on_any() again replaces it)
    if (def.types.length > 0 && def.typeBeforeAny === null) def.typeBeforeAny = def.types[def.types.length - 1];
    def.allEvents = true;
}
function addType(name, h) {
    if (def.byType[name] === undefined) arrayPush(def.types, name);
    def.byType[name] = h;
    def.allEvents = false;
}

api = {
    when: function (handlers) {
        needDefining("when");
        if (handlers === null || typeof handlers !== "object")
            failDefinition("when() expects an object of handlers, e.g. when({ $init: function () { return {}; } })");
        if (def.whenCalled)
            failDefinition("when() was called twice");
        def.whenCalled = true;
        var names = objectKeys(handlers);  // in the object's order, as the server reads them
        for (var i = 0; i < names.length; i++) {
            var name = names[i], h = handlers[name];
            if (!isFn(h))
                failDefinition("handler '" + name + "' in when() is not a function");
            if (name === "$init") def.init = h;
            else if (name === "$initShared") { def.initShared = h; def.biState = true; }
            else if (name === "$any") addAny(h);
            else if (name === "$created") arrayPush(def.created, h);
            else if (name === "$deleted") {
                if (def.biState) failDefinition("$deleted cannot be used together with $initShared (bi-state projection)");
                arrayPush(def.deleted, h);
            }
            else addType(name, h);
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
        arrayPush(def.transforms, { filter: false, fn: fn });
        def.outputState = true;
        return chain("transformBy(…)", ["transformBy", "filterBy", "outputState", "outputTo"]);
    },
    filterBy: function (fn) {
        needDefining("filterBy");
        if (!isFn(fn)) failDefinition("filterBy() expects a function (state) => boolean");
        arrayPush(def.transforms, { filter: true, fn: fn });
        def.outputState = true;
        return chain("filterBy(…)", ["transformBy", "filterBy", "outputState", "outputTo"]);
    },
    outputTo: function (stream, pattern) {
        needDefining("outputTo");
        if (typeof stream !== "string") failDefinition("outputTo() expects a stream name");
        def.options.resultStreamName = stream;
        if (pattern !== undefined) def.options.partitionResultStreamNamePattern = StringCtor(pattern);
        def.outputState = true;
        return chain("outputTo(…)", []);
    },
    $defines_state_transform: function () { def.outputState = true; }
};

function listArgs(args, what) {
    var arr = (args.length === 1 && isArray(args[0])) ? args[0] : arraySlice(args);
    if (arr.length === 0) failDefinition(what + "() needs at least one name");
    for (var i = 0; i < arr.length; i++)
        if (typeof arr[i] !== "string" || arr[i] === "")
            failDefinition(what + "() expects stream names as strings, got " + typeof arr[i]);
    return arraySlice(arr);
}

var globals = {
    fromAll: function () {
        setSelector("fromAll");
        return chain("fromAll()", ["partitionBy", "when", "foreachStream", "outputState"]);
    },
    fromStream: function (stream) {
        setSelector("fromStream");
        if (typeof stream !== "string" || stream === "") failDefinition("fromStream() expects a stream name");
        arrayPush(def.streams, stream);
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
        var names = objectKeys(o);
        for (var i = 0; i < names.length; i++) {
            if (!hasOwn(def.options, names[i])) failDefinition("Unrecognized option: " + names[i]);
            def.options[names[i]] = o[names[i]];
        }
        if (def.options.biState === true) def.biState = true;
    },
    on_any: function (fn) { needDefining("on_any"); if (!isFn(fn)) failDefinition("on_any() expects a function"); addAny(fn); },
    on_event: function (name, fn) {
        needDefining("on_event");
        if (typeof name !== "string" || !isFn(fn)) failDefinition("on_event() expects (eventType, function)");
        addType(name, fn);
    },
    emit: function (streamId, eventType, body, metadata) {
        if (typeof streamId !== "string" || strTrim(streamId) === "") throw new ErrorCtor("emit(): streamId must be a non-empty string");
        if (typeof eventType !== "string" || strTrim(eventType) === "") throw new ErrorCtor("emit(): eventType must be a non-empty string");
        if (body === null || typeof body !== "object") throw new ErrorCtor("emit(): the event body must be an object");
        if (metadata !== undefined && (metadata === null || typeof metadata !== "object")) throw new ErrorCtor("emit(): metadata must be an object");
        record("emit", streamId, eventType, body, metadata);
    },
    linkTo: function (streamId, event, metadata) {
        if (typeof streamId !== "string" || strTrim(streamId) === "") throw new ErrorCtor("linkTo(): streamId must be a non-empty string");
        if (event === null || typeof event !== "object" || typeof event.streamId !== "string")
            throw new ErrorCtor("linkTo(): the second argument must be the event being handled");
        record("linkTo", streamId, "$>", event.sequenceNumber + "@" + event.streamId, metadata);
    },
    copyTo: function (streamId, event, metadata) {
        if (typeof streamId !== "string" || strTrim(streamId) === "") throw new ErrorCtor("copyTo(): streamId must be a non-empty string");
        if (event === null || typeof event !== "object") throw new ErrorCtor("copyTo(): the second argument must be the event being handled");
        var m = {}, k, em = event.metadata;
        if (em) for (k in em) if (strIndexOf(k, "$") !== 0 || k === "$correlationId") m[k] = em[k];
        if (metadata) for (k in metadata) if (strIndexOf(k, "$") !== 0) m[k] = metadata[k];
        record("copyTo", streamId, event.eventType, event.isJson ? event.body : event.bodyRaw, m);
    },
    linkStreamTo: function (streamId, linkedStreamId, metadata) {
        if (typeof streamId !== "string" || strTrim(streamId) === "") throw new ErrorCtor("linkStreamTo(): streamId must be a non-empty string");
        if (typeof linkedStreamId !== "string" || strTrim(linkedStreamId) === "") throw new ErrorCtor("linkStreamTo(): linkedStreamId must be a non-empty string");
        record("linkStreamTo", streamId, "$@", linkedStreamId, metadata);
    },
    log: function () {
        var parts = [];
        for (var i = 0; i < arguments.length; i++) {
            var a = arguments[i];
            if (typeof a === "string") arrayPush(parts, a);
            else {
                try { arrayPush(parts, boundedStringify(a, MAX_LOG_LINE, function () { return "…"; })); }
                catch (e) { arrayPush(parts, e === "…" ? "(too long to log)" : StringCtor(a)); }
            }
        }
        logCount++;
        if (logs.length < maxLogs) {
            var text = arrayJoin(parts, " ");
            if (text.length > MAX_LOG_LINE) text = strSubstring(text, 0, MAX_LOG_LINE) + "…";
            arrayPush(logs, { position: position, text: text });
        }
    }
};

function sandboxed(name, what) {
    return function () {
        throw new ErrorCtor(name + " is not available: projections run sandboxed, without " + what + " access");
    };
}
globals.require = sandboxed("require()", "file or module");
globals.fetch = sandboxed("fetch()", "network");
globals.XMLHttpRequest = sandboxed("XMLHttpRequest", "network");
globals.importScripts = sandboxed("importScripts()", "file or module");
globals.WebSocket = sandboxed("WebSocket", "network");

// Records keep a copy of body and metadata; all kept records together stay within maxChars of JSON.
function record(kind, stream, type, body, metadata) {
    emittedCount++;
    if (emitted.length >= maxEmits || emittedChars >= maxChars) return;
    var over = function () { return limitError("the would-emit records passed " + maxChars + " characters"); };
    var tb, tm;
    try {
        tb = body === undefined ? "null" : boundedStringify(body, maxChars - emittedChars, over);
        if (tb === undefined) tb = "null";
        tm = metadata === undefined ? "null" : boundedStringify(metadata, maxChars - emittedChars - tb.length, over);
        if (tm === undefined) tm = "null";
    } catch (e) {
        if (e !== null && typeof e === "object" && e.chronoscopeLimit === true) {
            emittedChars = maxChars;  // kept records are full: the rest are only counted
            return;
        }
        tb = jsonStringify(StringCtor(body));
        tm = "null";
    }
    emittedChars += tb.length + tm.length;
    arrayPush(emitted, { kind: kind, position: position, stream: stream, type: type, body: tb, metadata: tm });
}

(function () {
    var ks = objectKeys(globals);
    for (var i = 0; i < ks.length; i++)
        defineProperty(global, ks[i], { value: globals[ks[i]], writable: true, configurable: true, enumerable: false });
})();

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
            catch (err) { e.body_ = undefined; e.jsonError = StringCtor(err); }
        }
    }
    return e.body_;
}
function setBody(v) { this.bodyParsed_ = true; this.body_ = v; }
defineProperty(Envelope.prototype, "body", { get: function () { return parseBody(this); }, set: setBody });
defineProperty(Envelope.prototype, "data", { get: function () { return parseBody(this); }, set: setBody });
defineProperty(Envelope.prototype, "metadata", {
    get: function () {
        if (this.metadata_ === undefined) {
            try { this.metadata_ = this.metadataRaw ? jsonParse(this.metadataRaw) : null; }
            catch (err) { this.metadata_ = null; }
        }
        return this.metadata_;
    },
    set: function (v) { this.metadata_ = v; }
});
defineProperty(Envelope.prototype, "linkMetadata", { get: function () { return {}; } });
defineProperty(Envelope.prototype, "time", {
    get: function () { return this.timeMs === null ? null : dateToISOString(new DateCtor(this.timeMs)); }
});
defineProperty(Envelope.prototype, "type", { get: function () { return this.eventType; } });

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
    var e = { message: "", line: 0, file: "", stack: "", handler: handlerName, thrown: "", limit: false, tooLarge: false };
    if (err instanceof ErrorCtor) {
        e.message = StringCtor(err.name ? err.name + ": " + err.message : err.message);
        e.line = err.lineNumber || 0;
        e.file = err.fileName || "";
        e.stack = err.stack || "";
        e.limit = err.chronoscopeLimit === true;
        e.tooLarge = err.chronoscopeTooLarge === true;
    } else {
        var s;
        try { s = typeof err === "string" ? err : boundedStringify(err, MAX_LOG_LINE, function () { return "…"; }); }
        catch (x) { s = "(a value too large to show)"; }
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
            throw new ErrorCtor("partitionBy() must return a string or a number, got " + (typeof p));
        return StringCtor(p);
    }
    if (def.byStream) return env.streamId;
    return "";
}
function getState(part) {
    if (!partitioned()) return { s: st.root, isNew: false };
    if (mapHas(st.parts, part)) return { s: mapGet(st.parts, part), isNew: false };
    return { s: initialState(), isNew: true };
}
function putState(part, s) {
    if (!partitioned()) st.root = s; else mapSet(st.parts, part, s);
}
function handlerView(s) { return def.biState ? [s, st.shared] : s; }
function fromView(v, fallback) {
    if (!def.biState) return v;
    if (isArray(v)) { st.shared = v[1]; return v[0]; }
    return fallback;
}
function runOne(name, fn, view, env) {
    var r = call(name, fn, view, env);
    return r === undefined ? view : r;
}
// Which handlers run for a delivered event. The server (KurrentDB's Jint runtime): the type's handler if
// there is one, else $any, never both. The V8 prelude of older servers: $any, then the type's handler.
function runHandlers(s, env) {
    if (!hasHandlers()) return env.isJson ? env.body : { $e: env.bodyRaw };
    var view = handlerView(s);
    var typed = def.byType[env.eventType];
    var i;
    if (!v8Order) {
        if (typed !== undefined) view = runOne(env.eventType, typed, view, env);
        else if (def.any.length > 0) view = runOne("$any", def.any[0], view, env);
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
    else if (env.eventType === "$metadata" && strIndexOf(env.streamId, "$$") === 0) {
        var b = env.body;
        if (b && b.$tb !== undefined) { stream = strSubstring(env.streamId, 2); soft = true; }
    }
    if (stream === null || !mapHas(st.parts, stream)) return false;
    var s = mapGet(st.parts, stream);
    for (var i = 0; i < def.deleted.length; i++) {
        var r = call("$deleted", def.deleted[i], s, null, stream, soft);
        if (r !== undefined) s = r;
    }
    mapSet(st.parts, stream, s);
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
        // Not "all events": only the types with a handler are delivered (see the source definition above).
        if (!def.allEvents && def.byType[eventType] === undefined) return SKIP;
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
var INDEX = /^(0|[1-9][0-9]*)$/;
function trackValue(s) {
    var v = track.shared ? st.shared : s;
    for (var i = 0; i < track.tokens.length; i++) {
        if (v === null || typeof v !== "object") return MISSING;
        var t = track.tokens[i];
        if (isArray(v) && !regexTest(INDEX, t)) return MISSING;
        if (!hasOwn(v, t)) return MISSING;
        v = v[t];
    }
    var r;
    try { r = boundedStringify(v, maxChars, tooLarge); } catch (e) {
        if (e !== null && typeof e === "object" && e.chronoscopeTooLarge === true) throw e;
        r = StringCtor(v);
    }
    return r === undefined ? MISSING : r;
}
function evalWatch(view, env) {
    handlerName = "watch predicate";
    var r = watchFn(view, env);
    if (typeof r === "function") r = r(view, env);  // the text was a function: call it
    handlerName = "";
    return !!r;
}

// A state's JSON text, counted while it is made: beyond maxChars (all partitions together) it stops
// before the text is built.
var budget = 0;
function tooLarge() {
    var e = new RangeErrorCtor("the state's JSON text passed " + maxChars + " characters");
    e.chronoscopeTooLarge = true;
    return e;
}
function serializeValue(v) {
    if (v === undefined) return "null";
    if (typeof v === "function") throw new TypeErrorCtor("the state is a function, not a JSON value");
    if (typeof v === "bigint") throw new TypeErrorCtor("the state is a BigInt, not a JSON value");
    var s = boundedStringify(v, budget, tooLarge);
    if (s === undefined) return "null";
    budget -= s.length;
    return s;
}
function serializePart(part) {
    budget = maxChars;
    if (!partitioned()) return serializeValue(st.root);
    return mapHas(st.parts, part) ? serializeValue(mapGet(st.parts, part)) : "";
}

var host = {
    finishDefinition: function (v8, maxE, maxL) {
        defining = false;
        v8Order = v8 === true;
        maxEmits = maxE; maxLogs = maxL;
        var o = def.options;
        return {
            selector: def.selector === null ? "" : def.selector,
            streams: def.streams, categories: def.categories,
            byStream: def.byStream, byCustomPartition: def.partitionFn !== null,
            biState: def.biState, hasInit: def.init !== null, hasAny: def.any.length > 0,
            hasCreated: def.created.length > 0, hasDeleted: def.deleted.length > 0,
            eventTypes: def.types, transforms: def.transforms.length, outputState: def.outputState,
            allEvents: def.allEvents, typeBeforeAny: def.typeBeforeAny === null ? "" : def.typeBeforeAny,
            includeLinks: o.$includeLinks === true,
            resultStreamName: o.resultStreamName === null || o.resultStreamName === undefined ? "" : StringCtor(o.resultStreamName)
        };
    },
    process: processEvent,
    lastError: function () { var e = lastError; lastError = null; return e; },
    handlerName: function () { return handlerName; },
    lastPartition: function () { return lastPart; },
    // Everything needed to resume: all partitions and the shared state.
    serialize: function () {
        handlerName = "state serialization";
        try {
            ensureStarted();
            budget = maxChars;
            var out = "{\"started\":true";
            if (def.biState) out += ",\"shared\":" + serializeValue(st.shared);
            if (partitioned()) {
                out += ",\"parts\":{";
                var first = true;
                mapForEach(st.parts, function (v, k) {
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
        st.parts = new MapCtor();
        if (o.parts) { var ks = objectKeys(o.parts); for (var i = 0; i < ks.length; i++) mapSet(st.parts, ks[i], o.parts[ks[i]]); }
    },
    reset: function () { st = { root: undefined, parts: new MapCtor(), shared: undefined, started: false }; position = 0; },
    partitionState: function (part) {
        handlerName = "state serialization";
        try { return serializePart(part); } catch (err) { return fail(err); }
    },
    sharedState: function () {
        handlerName = "state serialization";
        try { budget = maxChars; return def.biState ? serializeValue(st.shared) : ""; } catch (err) { return fail(err); }
    },
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
            handlerName = "";
            budget = maxChars;
            return serializeValue(s);
        } catch (err) {
            return fail(err);
        }
    },
    // A watch predicate: an expression over state and event, compiled as the body of a function by the
    // Function constructor (captured before the script ran), so nothing of it runs now and it cannot reach
    // outside that function. It must also compile between brackets: a text that closes the "(" around it
    // (`1), x = 1, (1`) cannot close the "[" as well, so only a single expression passes.
    compileWatch: function (text) {
        handlerName = "watch predicate";
        try {
            var fn = new FunctionCtor("state", "event", "return (" + text + "\n);");
            new FunctionCtor("state", "event", "return [" + text + "\n];");
            watchFn = fn;
            handlerName = "";
            return 0;
        } catch (err) {
            return fail(err);
        }
    },
    setTrack: function (part, shared, tokens) { track = { part: part, shared: shared, tokens: tokens }; },
    // Plain records (body and metadata as JSON text) the C++ side reads property by property: no JSON.stringify,
    // so nothing the projection defined (a toJSON on Object.prototype) runs while they are taken.
    takeEmitted: function () { var r = { items: emitted, total: emittedCount }; emitted = []; emittedCount = 0; emittedChars = 0; return r; },
    takeLogs: function () { var r = { items: logs, total: logCount }; logs = []; logCount = 0; return r; }
};
return host;
}))JS";
}

} // namespace chronoscope
