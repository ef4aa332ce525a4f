#include "story/story.h"

#include "diff/jsondiff.h"
#include "json/jsonvalue.h"
#include "json/mergepatch.h"
#include "model/glob.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <nlohmann/json.hpp>

namespace chronoscope::story {

using Json = nlohmann::ordered_json;

QString toneName(Tone t)
{
    switch (t) {
    case Tone::Good:
        return QStringLiteral("good");
    case Tone::Warn:
        return QStringLiteral("warn");
    case Tone::Bad:
        return QStringLiteral("bad");
    case Tone::Neutral:
        break;
    }
    return QStringLiteral("neutral");
}

// ---- glossary ---------------------------------------------------------------------------------------

bool pointerGlobMatch(const QString& glob, const QStringList& tokens)
{
    const auto pattern = parseJsonPointer(glob);
    if (!pattern) return false;
    const QStringList& p = *pattern;
    // Classic two-pointer match with backtracking over the last `**`.
    qsizetype pi = 0, ti = 0, starP = -1, starT = 0;
    while (ti < tokens.size()) {
        if (pi < p.size() && p[pi] == QLatin1String("**")) {
            starP = pi++;
            starT = ti;
        } else if (pi < p.size() && (p[pi] == QLatin1String("*") || p[pi] == tokens[ti] ||
                                     (p[pi].contains(u'*') && globMatch(p[pi], tokens[ti])))) {
            ++pi;
            ++ti;
        } else if (starP >= 0) {
            pi = starP + 1;
            ti = ++starT;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == QLatin1String("**"))
        ++pi;
    return pi == p.size();
}

QString Glossary::actorOf(const QString& stream) const
{
    for (const auto& [glob, name] : actors)
        if (globMatch(glob, stream)) return name;
    QString c = Event::categoryOf(stream);
    if (!c.isEmpty()) c[0] = c[0].toUpper();
    return c;
}

Tone Glossary::toneOf(const QString& type) const
{
    auto it = events.constFind(type);
    return it == events.cend() ? Tone::Neutral : it->tone;
}

QString Glossary::defaultSentence(const QString& type)
{
    // "PaymentFailed" -> "Payment failed"; "order_placed" / "order.placed" -> "Order placed".
    QString out;
    for (qsizetype i = 0; i < type.size(); ++i) {
        const QChar c = type[i];
        if (c == u'_' || c == u'.' || c == u'-' || c == u':') {
            if (!out.endsWith(u' ')) out += u' ';
            continue;
        }
        const bool boundary = i > 0 && c.isUpper() &&
                              (type[i - 1].isLower() || type[i - 1].isDigit() ||
                               (i + 1 < type.size() && type[i + 1].isLower() && type[i - 1].isUpper()));
        if (boundary && !out.endsWith(u' ')) out += u' ';
        out += c;
    }
    out = out.trimmed();
    // Lower-case every word after the first unless it is an acronym.
    QStringList words = out.split(u' ', Qt::SkipEmptyParts);
    for (qsizetype w = 0; w < words.size(); ++w) {
        QString& word = words[w];
        const bool acronym = word.size() > 1 && word == word.toUpper();
        if (w == 0)
            word[0] = word[0].toUpper();
        else if (!acronym)
            word = word.toLower();
    }
    return words.join(u' ');
}

const FieldRule* Glossary::ruleFor(const QStringList& tokens) const
{
    for (const FieldRule& r : fields)
        if (pointerGlobMatch(r.pointer, tokens)) return &r;
    return nullptr;
}

bool Glossary::isHidden(const QStringList& tokens) const
{
    for (const QString& h : hide)
        if (pointerGlobMatch(h, tokens)) return true;
    return false;
}

QString Glossary::labelFor(const QStringList& tokens) const
{
    if (const FieldRule* r = ruleFor(tokens); r && !r->label.isEmpty()) return r->label;
    return tokens.isEmpty() ? QString() : defaultSentence(tokens.last());
}

namespace {

QJsonValue maskValue(const QJsonValue& v)
{
    auto maskText = [](const QString& s) {
        QString out = s;
        for (QChar& c : out) {
            if (c.isDigit())
                c = u'#';
            else if (c.isLetter())
                c = c.isUpper() ? u'X' : u'x';
        }
        return out;
    };
    if (v.isObject()) {
        QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            it.value() = maskValue(it.value());
        return o;
    }
    if (v.isArray()) {
        QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            a[i] = maskValue(a[i]);
        return a;
    }
    if (isJsonNumber(v)) return makeJsonString(maskText(QString::fromLatin1(jsonNumberText(v))));
    if (isJsonString(v)) return makeJsonString(maskText(jsonStringValue(v)));
    return v; // true/false/null carry no personal data
}

QJsonValue hashValue(const QJsonValue& v)
{
    const QByteArray digest = QCryptographicHash::hash(toJsonText(v), QCryptographicHash::Sha256).toHex();
    return makeJsonString(QString::fromLatin1(digest.left(8)));
}

} // namespace

QJsonValue Glossary::presentAt(const QJsonValue& v, QStringList& path, bool* drop) const
{
    *drop = false;
    if (!path.isEmpty()) {
        if (isHidden(path)) {
            *drop = true;
            return {};
        }
        if (const FieldRule* r = ruleFor(path)) {
            switch (r->redact) {
            case FieldRule::Redact::Drop:
                *drop = true;
                return {};
            case FieldRule::Redact::Mask:
                return maskValue(v);
            case FieldRule::Redact::Hash:
                return hashValue(v);
            case FieldRule::Redact::None:
                break;
            }
        }
    }
    if (v.isObject()) {
        QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end();) {
            path << it.key();
            bool d = false;
            QJsonValue nv = presentAt(it.value(), path, &d);
            path.removeLast();
            if (d) {
                it = o.erase(it);
            } else {
                it.value() = nv;
                ++it;
            }
        }
        return o;
    }
    if (v.isArray()) {
        QJsonArray a = v.toArray();
        QJsonArray out;
        for (qsizetype i = 0; i < a.size(); ++i) {
            path << QString::number(i);
            bool d = false;
            QJsonValue nv = presentAt(a[i], path, &d);
            path.removeLast();
            if (!d) out.append(nv);
        }
        return out;
    }
    return v;
}

QJsonValue Glossary::present(const QJsonValue& data) const
{
    if (hide.isEmpty() && fields.isEmpty()) return data;
    QStringList path;
    bool drop = false;
    QJsonValue v = presentAt(data, path, &drop);
    return drop ? QJsonValue() : v;
}

QJsonValue Glossary::presentMetadata(const QJsonValue& metadata) const
{
    if (!metadata.isObject()) return metadata;
    QJsonObject o = metadata.toObject();
    for (auto it = o.begin(); it != o.end();) {
        if (isHidden({QStringLiteral("metadata"), it.key()}))
            it = o.erase(it);
        else
            ++it;
    }
    return o;
}

void Glossary::collectRedacted(const QJsonValue& data, QStringList* paths) const
{
    // Walks like presentAt, recording instead of changing.
    std::function<void(const QJsonValue&, QStringList&)> walk = [&](const QJsonValue& v, QStringList& path) {
        if (!path.isEmpty()) {
            const FieldRule* r = ruleFor(path);
            if (isHidden(path) || (r && r->redact != FieldRule::Redact::None)) {
                const QString p = makeJsonPointer(path);
                if (!paths->contains(p)) paths->append(p);
                return;
            }
        }
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                path << it.key();
                walk(it.value(), path);
                path.removeLast();
            }
        } else if (v.isArray()) {
            const QJsonArray a = v.toArray();
            for (qsizetype i = 0; i < a.size(); ++i) {
                path << QString::number(i);
                walk(a[i], path);
                path.removeLast();
            }
        }
    };
    QStringList path;
    walk(data, path);
}

// ---- the model ----------------------------------------------------------------------------------------

const Kpi* Story::kpi(const QString& id) const
{
    for (const Kpi& k : kpis)
        if (k.id == id) return &k;
    return nullptr;
}

QString Story::resolvedSourceUri() const
{
    if (sourceUri.isEmpty()) return {};
    const qsizetype colon = sourceUri.indexOf(QLatin1String("://"));
    if (colon > 0 || QDir::isAbsolutePath(sourceUri)) return sourceUri;
    return QDir(folder).filePath(sourceUri);
}

std::optional<qint64> parseDurationMs(const QString& text)
{
    const QString t = text.trimmed();
    static const QList<QPair<QString, qint64>> units = {
        {QStringLiteral("ms"), 1},    {QStringLiteral("s"), 1000},    {QStringLiteral("min"), 60000},
        {QStringLiteral("m"), 60000}, {QStringLiteral("h"), 3600000}, {QStringLiteral("d"), 86400000}};
    for (const auto& [suffix, factor] : units) {
        if (!t.endsWith(suffix)) continue;
        bool ok = false;
        const double v = t.left(t.size() - suffix.size()).trimmed().toDouble(&ok);
        if (!ok || v < 0 || v > 1e12) return std::nullopt;
        return qint64(v * double(factor));
    }
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok || v < 0 || v > 1e12) return std::nullopt;
    return qint64(v * 1000);
}

namespace {

/// Thrown inside the parser with the pointer and the reason; caught in parseStory.
struct Invalid
{
    QString where;
    QString what;
};

[[noreturn]] void fail(const QString& where, const QString& what)
{
    throw Invalid{where, what};
}

QString ptr(const QString& base, const QString& key)
{
    return base + u'/' + escapeJsonPointerToken(key);
}
QString ptr(const QString& base, size_t index)
{
    return base + u'/' + QString::number(index);
}

QString typeName(const Json& j)
{
    switch (j.type()) {
    case Json::value_t::object:
        return QStringLiteral("an object");
    case Json::value_t::array:
        return QStringLiteral("an array");
    case Json::value_t::string:
        return QStringLiteral("a string");
    case Json::value_t::boolean:
        return QStringLiteral("true/false");
    case Json::value_t::null:
        return QStringLiteral("null");
    default:
        return QStringLiteral("a number");
    }
}

const Json& expectObject(const Json& j, const QString& where)
{
    if (!j.is_object()) fail(where, QStringLiteral("must be an object, not %1").arg(typeName(j)));
    return j;
}

QString str(const Json& j, const QString& where, int maxChars = kMaxTextChars)
{
    if (!j.is_string()) fail(where, QStringLiteral("must be a string, not %1").arg(typeName(j)));
    const std::string& s = j.get_ref<const std::string&>();
    if (qsizetype(s.size()) > qsizetype(maxChars) * 4)
        fail(where, QStringLiteral("is %1 bytes long; at most %2 characters are allowed")
                        .arg(s.size())
                        .arg(maxChars));
    QString q = QString::fromStdString(s);
    if (q.size() > maxChars)
        fail(where,
             QStringLiteral("is %1 characters long; at most %2 are allowed").arg(q.size()).arg(maxChars));
    return q;
}

qint64 integer(const Json& j, const QString& where, qint64 min, qint64 max)
{
    if (!j.is_number_integer())
        fail(where, QStringLiteral("must be a whole number, not %1")
                        .arg(j.is_number() ? QStringLiteral("a fraction") : typeName(j)));
    const qint64 v = j.is_number_unsigned() ? qint64(std::min<quint64>(j.get<quint64>(), quint64(max) + 1))
                                            : j.get<qint64>();
    if (v < min || v > max) fail(where, QStringLiteral("must be between %1 and %2").arg(min).arg(max));
    return v;
}

QJsonValue toQt(const Json& j)
{
    return parseJsonValue(QByteArray::fromStdString(j.dump()));
}

/// Checks the keys of an object: unknown keys are errors (a typo in an anchor must not be ignored);
/// keys starting with "$" or "x-" are the author's own (comments, schema) and skipped.
void checkKeys(const Json& o, const QString& where, const QStringList& known, const QString& what)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString k = QString::fromStdString(it.key());
        if (known.contains(k) || k.startsWith(u'$') || k.startsWith(QLatin1String("x-"))) continue;
        fail(ptr(where, k), QStringLiteral("unknown key in %1 (known: %2)").arg(what, known.join(u", ")));
    }
}

Template parseTemplate(const QString& text, const QString& where)
{
    QString why;
    auto t = Template::parse(text, &why);
    if (!t) fail(where, QStringLiteral("template error at %1").arg(why));
    return *t;
}

QString resolvePath(const QString& folder, const QString& path)
{
    return QDir::isAbsolutePath(path) ? QDir::cleanPath(path) : QDir::cleanPath(QDir(folder).filePath(path));
}

QString pointerArg(const Json& j, const QString& where, bool allowGlob)
{
    const QString p = str(j, where);
    QString why;
    if (!p.isEmpty() && !parseJsonPointer(p, &why))
        fail(where, QStringLiteral("'%1' is not a JSON Pointer: %2").arg(p, why));
    Q_UNUSED(allowGlob);
    return p;
}

void parseGlossary(const Json& g, Story* s)
{
    const QString base = QStringLiteral("/glossary");
    expectObject(g, base);
    checkKeys(g, base,
              {QStringLiteral("actors"), QStringLiteral("events"), QStringLiteral("fields"),
               QStringLiteral("hide")},
              QStringLiteral("the glossary"));
    Glossary& gl = s->glossary;
    if (g.contains("actors")) {
        const QString w = ptr(base, QStringLiteral("actors"));
        for (auto it = expectObject(g["actors"], w).begin(); it != g["actors"].end(); ++it) {
            const QString key = QString::fromStdString(it.key());
            gl.actors.append({key, str(it.value(), ptr(w, key), 200)});
        }
    }
    if (g.contains("events")) {
        const QString w = ptr(base, QStringLiteral("events"));
        for (auto it = expectObject(g["events"], w).begin(); it != g["events"].end(); ++it) {
            const QString type = QString::fromStdString(it.key());
            const QString ew = ptr(w, type);
            expectObject(it.value(), ew);
            checkKeys(it.value(), ew, {QStringLiteral("say"), QStringLiteral("tone")},
                      QStringLiteral("an event's wording"));
            EventWording wd;
            if (it.value().contains("say")) {
                wd.say = str(it.value()["say"], ptr(ew, QStringLiteral("say")));
                wd.sayTemplate = parseTemplate(wd.say, ptr(ew, QStringLiteral("say")));
            }
            if (it.value().contains("tone")) {
                const QString tone = str(it.value()["tone"], ptr(ew, QStringLiteral("tone")));
                if (tone == QLatin1String("good"))
                    wd.tone = Tone::Good;
                else if (tone == QLatin1String("warn"))
                    wd.tone = Tone::Warn;
                else if (tone == QLatin1String("bad"))
                    wd.tone = Tone::Bad;
                else if (tone == QLatin1String("neutral"))
                    wd.tone = Tone::Neutral;
                else
                    fail(ptr(ew, QStringLiteral("tone")),
                         QStringLiteral("'%1' is not a tone (good, warn, bad, neutral)").arg(tone));
            }
            gl.events.insert(type, wd);
        }
    }
    if (g.contains("fields")) {
        const QString w = ptr(base, QStringLiteral("fields"));
        for (auto it = expectObject(g["fields"], w).begin(); it != g["fields"].end(); ++it) {
            const QString p = QString::fromStdString(it.key());
            const QString fw = ptr(w, p);
            QString why;
            if (!parseJsonPointer(p, &why) || p.isEmpty())
                fail(fw, QStringLiteral("the key must be a JSON Pointer such as \"/total\""));
            expectObject(it.value(), fw);
            checkKeys(it.value(), fw,
                      {QStringLiteral("label"), QStringLiteral("format"), QStringLiteral("redact")},
                      QStringLiteral("a field"));
            FieldRule r;
            r.pointer = p;
            if (it.value().contains("label"))
                r.label = str(it.value()["label"], ptr(fw, QStringLiteral("label")), 200);
            if (it.value().contains("format")) {
                r.format = str(it.value()["format"], ptr(fw, QStringLiteral("format")), 200);
                if (!parseFormatters(r.format, &why)) fail(ptr(fw, QStringLiteral("format")), why);
            }
            if (it.value().contains("redact")) {
                const QString red = str(it.value()["redact"], ptr(fw, QStringLiteral("redact")));
                if (red == QLatin1String("mask"))
                    r.redact = FieldRule::Redact::Mask;
                else if (red == QLatin1String("drop"))
                    r.redact = FieldRule::Redact::Drop;
                else if (red == QLatin1String("hash"))
                    r.redact = FieldRule::Redact::Hash;
                else
                    fail(ptr(fw, QStringLiteral("redact")),
                         QStringLiteral("'%1' is not a redaction (mask, drop, hash)").arg(red));
            }
            gl.fields.append(r);
        }
    }
    if (g.contains("hide")) {
        const QString w = ptr(base, QStringLiteral("hide"));
        if (!g["hide"].is_array()) fail(w, QStringLiteral("must be an array of pointer globs"));
        for (size_t i = 0; i < g["hide"].size(); ++i) {
            const QString h = str(g["hide"][i], ptr(w, i), 500);
            QString why;
            if (h.isEmpty() || !parseJsonPointer(h, &why))
                fail(ptr(w, i), QStringLiteral("'%1' is not a pointer glob such as \"/metadata/**\"").arg(h));
            gl.hide << h;
        }
    }
}

Fact parseFact(const Json& f, const QString& where, const Story& s)
{
    expectObject(f, where);
    checkKeys(f, where,
              {QStringLiteral("stream"), QStringLiteral("kpi"), QStringLiteral("count"),
               QStringLiteral("projection"), QStringLiteral("pointer"), QStringLiteral("equals"),
               QStringLiteral("atLeast"), QStringLiteral("atMost")},
              QStringLiteral("a fact"));
    Fact fact;
    fact.where = where;
    fact.written = toQt(f);
    int kinds = 0;
    if (f.contains("stream")) {
        ++kinds;
        fact.kind = Fact::Kind::StreamState;
        fact.stream = str(f["stream"], ptr(where, QStringLiteral("stream")), 1000);
    }
    if (f.contains("kpi")) {
        ++kinds;
        fact.kind = Fact::Kind::Kpi;
        fact.kpi = str(f["kpi"], ptr(where, QStringLiteral("kpi")), 200);
        if (!s.kpi(fact.kpi))
            fail(ptr(where, QStringLiteral("kpi")), QStringLiteral("no KPI has the id '%1'").arg(fact.kpi));
    }
    if (f.contains("count")) {
        ++kinds;
        fact.kind = Fact::Kind::Count;
        fact.type = str(f["count"], ptr(where, QStringLiteral("count")), 500);
    }
    if (f.contains("projection")) {
        ++kinds;
        fact.kind = Fact::Kind::Projection;
        fact.projection =
            resolvePath(s.folder, str(f["projection"], ptr(where, QStringLiteral("projection")), 4096));
    }
    if (kinds != 1)
        fail(where,
             kinds ? QStringLiteral("a fact checks one thing: give one of stream, kpi, count, projection")
                   : QStringLiteral("a fact needs one of stream, kpi, count, projection"));
    if (f.contains("pointer"))
        fact.pointer = pointerArg(f["pointer"], ptr(where, QStringLiteral("pointer")), false);
    else if (fact.kind == Fact::Kind::StreamState || fact.kind == Fact::Kind::Projection)
        fail(where, QStringLiteral("needs a \"pointer\" into the state"));
    if (f.contains("equals")) fact.equals = toQt(f["equals"]);
    for (const char* k : {"atLeast", "atMost"}) {
        if (!f.contains(k)) continue;
        if (!f[k].is_number()) fail(ptr(where, QLatin1String(k)), QStringLiteral("must be a number"));
        (std::string_view(k) == "atLeast" ? fact.atLeast : fact.atMost) = toQt(f[k]);
    }
    if (!fact.equals && !fact.atLeast && !fact.atMost)
        fail(where, QStringLiteral("needs \"equals\", \"atLeast\" or \"atMost\""));
    if (fact.kind == Fact::Kind::Count && fact.equals && !fact.equals->isDouble() &&
        !isJsonNumber(*fact.equals))
        fail(ptr(where, QStringLiteral("equals")), QStringLiteral("a count equals a number"));
    return fact;
}

Anchor parseRange(const Json& r, const QString& w)
{
    expectObject(r, w);
    checkKeys(r, w,
              {QStringLiteral("fromPosition"), QStringLiteral("toPosition"), QStringLiteral("fromTime"),
               QStringLiteral("toTime"), QStringLiteral("annotation")},
              QStringLiteral("a range"));
    if (r.empty())
        fail(w, QStringLiteral("a range needs fromPosition/toPosition, fromTime/toTime or annotation"));
    Anchor a;
    if (r.contains("annotation")) {
        if (r.size() > 1)
            fail(w, QStringLiteral("a range is a note's ({\"annotation\": ID}) or positions and times, not both"));
        a.kind = Anchor::Kind::Annotation;
        a.annotation = str(r["annotation"], ptr(w, QStringLiteral("annotation")), 1000);
        if (a.annotation.isEmpty()) fail(ptr(w, QStringLiteral("annotation")), QStringLiteral("must not be empty"));
        return a;
    }
    a.kind = Anchor::Kind::Range;
    if (r.contains("fromPosition"))
        a.fromPosition = integer(r["fromPosition"], ptr(w, QStringLiteral("fromPosition")), 0, kNoLimit - 1);
    if (r.contains("toPosition"))
        a.toPosition = integer(r["toPosition"], ptr(w, QStringLiteral("toPosition")), 0, kNoLimit - 1);
    for (const char* k : {"fromTime", "toTime"}) {
        if (!r.contains(k)) continue;
        const QString kw = ptr(w, QLatin1String(k));
        const QString t = str(r[k], kw, 100);
        QString why;
        const auto ms = parseTime(QStringView(t), &why);
        if (!ms) fail(kw, QStringLiteral("'%1' is not a time: %2").arg(t, why));
        (std::string_view(k) == "fromTime" ? a.fromTime : a.toTime) = *ms;
    }
    if (a.fromPosition > a.toPosition) fail(w, QStringLiteral("fromPosition is after toPosition"));
    if (a.fromTime != kNoTime && a.toTime != kNoTime && a.fromTime > a.toTime)
        fail(w, QStringLiteral("fromTime is after toTime"));
    return a;
}

/// "live": {"match": {"type": GLOB, "stream": GLOB, "pointer": P, "equals": V}, "timeout": "20s"}
LiveMatch parseLive(const Json& l, const QString& w)
{
    expectObject(l, w);
    checkKeys(l, w, {QStringLiteral("match"), QStringLiteral("timeout")}, QStringLiteral("a live chapter"));
    if (!l.contains("match")) fail(w, QStringLiteral("a live chapter needs \"match\""));
    LiveMatch live;
    live.enabled = true;
    const QString mw = ptr(w, QStringLiteral("match"));
    const Json& m = expectObject(l["match"], mw);
    checkKeys(m, mw,
              {QStringLiteral("type"), QStringLiteral("stream"), QStringLiteral("pointer"), QStringLiteral("equals")},
              QStringLiteral("a live match"));
    if (m.contains("type")) live.type = str(m["type"], ptr(mw, QStringLiteral("type")), 500);
    if (m.contains("stream")) live.stream = str(m["stream"], ptr(mw, QStringLiteral("stream")), 1000);
    if (m.contains("pointer")) live.pointer = pointerArg(m["pointer"], ptr(mw, QStringLiteral("pointer")), false);
    if (m.contains("equals")) live.equals = toQt(m["equals"]);
    if (m.contains("pointer") != m.contains("equals"))
        fail(mw, QStringLiteral("\"pointer\" and \"equals\" go together"));
    if (live.type.isEmpty() && live.stream.isEmpty() && live.pointer.isEmpty())
        fail(mw, QStringLiteral("a live match names a \"type\", a \"stream\" or a \"pointer\" with \"equals\""));
    if (l.contains("timeout")) {
        const QString tw = ptr(w, QStringLiteral("timeout"));
        std::optional<qint64> ms;
        if (l["timeout"].is_number() && l["timeout"].get<double>() >= 0)
            ms = qint64(l["timeout"].get<double>() * 1000);
        else if (l["timeout"].is_string())
            ms = parseDurationMs(str(l["timeout"], tw, 50));
        if (!ms) fail(tw, QStringLiteral("must be a duration such as \"20s\" or \"2m\""));
        // A room waits a few minutes at most; a longer wait is a typo ("20m" for "20s").
        if (*ms > 10 * 60 * 1000) fail(tw, QStringLiteral("must be at most 10 minutes"));
        live.timeoutMs = *ms;
    }
    return live;
}

Chapter parseChapter(const Json& c, size_t index, Story* s, const QSet<QString>& ids)
{
    const QString where = ptr(QStringLiteral("/chapters"), index);
    expectObject(c, where);
    checkKeys(c, where,
              {QStringLiteral("id"), QStringLiteral("title"), QStringLiteral("range"),
               QStringLiteral("focus"), QStringLiteral("watch"), QStringLiteral("streams"),
               QStringLiteral("pace"), QStringLiteral("caption"), QStringLiteral("notes"),
               QStringLiteral("kpis"), QStringLiteral("compare"), QStringLiteral("expect"),
               QStringLiteral("live")},
              QStringLiteral("a chapter"));
    Chapter ch;
    ch.where = where;
    ch.id = c.contains("id") ? str(c["id"], ptr(where, QStringLiteral("id")), 200)
                             : QStringLiteral("chapter-%1").arg(index + 1);
    if (ch.id.isEmpty()) fail(ptr(where, QStringLiteral("id")), QStringLiteral("must not be empty"));
    if (ids.contains(ch.id))
        fail(ptr(where, QStringLiteral("id")),
             QStringLiteral("another chapter already has the id '%1'").arg(ch.id));
    ch.title = c.contains("title") ? str(c["title"], ptr(where, QStringLiteral("title")), 500) : ch.id;
    const int anchors = int(c.contains("range")) + int(c.contains("focus")) + int(c.contains("watch"));
    if (anchors > 1)
        fail(where, QStringLiteral("a chapter has one anchor: range, focus or watch, not several"));
    if (c.contains("range")) ch.anchor = parseRange(c["range"], ptr(where, QStringLiteral("range")));
    if (c.contains("focus")) {
        const QString w = ptr(where, QStringLiteral("focus"));
        expectObject(c["focus"], w);
        checkKeys(c["focus"], w,
                  {QStringLiteral("correlation"), QStringLiteral("streams"), QStringLiteral("annotation")},
                  QStringLiteral("a focus"));
        const Json& f = c["focus"];
        if (int(f.contains("correlation")) + int(f.contains("streams")) + int(f.contains("annotation")) != 1)
            fail(w, QStringLiteral("a focus is {\"correlation\": ID}, {\"streams\": [globs]} or "
                                   "{\"annotation\": ID}"));
        if (f.contains("annotation")) {
            ch.anchor.kind = Anchor::Kind::Annotation;
            ch.anchor.annotationFocus = true;
            ch.anchor.annotation = str(f["annotation"], ptr(w, QStringLiteral("annotation")), 1000);
            if (ch.anchor.annotation.isEmpty())
                fail(ptr(w, QStringLiteral("annotation")), QStringLiteral("must not be empty"));
        } else if (f.contains("correlation")) {
            ch.anchor.kind = Anchor::Kind::Correlation;
            ch.anchor.correlation = str(f["correlation"], ptr(w, QStringLiteral("correlation")), 1000);
            if (ch.anchor.correlation.isEmpty())
                fail(ptr(w, QStringLiteral("correlation")), QStringLiteral("must not be empty"));
        } else {
            ch.anchor.kind = Anchor::Kind::Streams;
            const QString sw = ptr(w, QStringLiteral("streams"));
            if (!f["streams"].is_array() || f["streams"].empty())
                fail(sw, QStringLiteral("must be a non-empty array of stream globs"));
            for (size_t i = 0; i < f["streams"].size(); ++i)
                ch.anchor.streams << str(f["streams"][i], ptr(sw, i), 1000);
        }
    }
    if (c.contains("watch")) {
        const QString w = ptr(where, QStringLiteral("watch"));
        expectObject(c["watch"], w);
        checkKeys(c["watch"], w,
                  {QStringLiteral("projection"), QStringLiteral("predicate"), QStringLiteral("context")},
                  QStringLiteral("a watch"));
        const Json& f = c["watch"];
        if (!f.contains("projection") || !f.contains("predicate"))
            fail(w, QStringLiteral("a watch needs \"projection\" and \"predicate\""));
        ch.anchor.kind = Anchor::Kind::Watch;
        ch.anchor.projection =
            resolvePath(s->folder, str(f["projection"], ptr(w, QStringLiteral("projection")), 4096));
        ch.anchor.predicate = str(f["predicate"], ptr(w, QStringLiteral("predicate")));
        if (f.contains("context"))
            ch.anchor.context = int(integer(f["context"], ptr(w, QStringLiteral("context")), 0, 1000));
    }
    if (c.contains("streams")) {
        const QString w = ptr(where, QStringLiteral("streams"));
        if (!c["streams"].is_array() || c["streams"].empty())
            fail(w, QStringLiteral("must be a non-empty array of stream globs"));
        for (size_t i = 0; i < c["streams"].size(); ++i)
            ch.streams << str(c["streams"][i], ptr(w, i), 1000);
    }
    if (c.contains("pace")) {
        const QString w = ptr(where, QStringLiteral("pace"));
        expectObject(c["pace"], w);
        checkKeys(c["pace"], w, {QStringLiteral("mode"), QStringLiteral("speed"), QStringLiteral("maxGap")},
                  QStringLiteral("a pace"));
        const Json& p = c["pace"];
        if (p.contains("mode")) {
            const QString mode = str(p["mode"], ptr(w, QStringLiteral("mode")), 50);
            if (mode == QLatin1String("realtime"))
                ch.realtime = true;
            else if (mode != QLatin1String("step"))
                fail(ptr(w, QStringLiteral("mode")),
                     QStringLiteral("'%1' is not a pace (step, realtime)").arg(mode));
        }
        if (p.contains("speed")) {
            if (!p["speed"].is_number() || p["speed"].get<double>() <= 0 || p["speed"].get<double>() > 1e6)
                fail(ptr(w, QStringLiteral("speed")), QStringLiteral("must be a number above 0"));
            ch.speed = p["speed"].get<double>();
        }
        if (p.contains("maxGap")) {
            const QString mw = ptr(w, QStringLiteral("maxGap"));
            std::optional<qint64> ms;
            if (p["maxGap"].is_number() && p["maxGap"].get<double>() >= 0)
                ms = qint64(p["maxGap"].get<double>() * 1000);
            else if (p["maxGap"].is_string())
                ms = parseDurationMs(str(p["maxGap"], mw, 50));
            if (!ms)
                fail(mw, QStringLiteral(
                             "must be a duration such as \"3s\", \"2m\", \"1h\" or a number of seconds"));
            ch.maxGapMs = *ms;
        }
    }
    if (c.contains("caption")) {
        ch.caption = str(c["caption"], ptr(where, QStringLiteral("caption")));
        ch.captionTemplate = parseTemplate(ch.caption, ptr(where, QStringLiteral("caption")));
    }
    if (c.contains("notes")) {
        ch.notes = str(c["notes"], ptr(where, QStringLiteral("notes")));
        ch.notesTemplate = parseTemplate(ch.notes, ptr(where, QStringLiteral("notes")));
    }
    if (c.contains("kpis")) {
        const QString w = ptr(where, QStringLiteral("kpis"));
        if (!c["kpis"].is_array()) fail(w, QStringLiteral("must be an array of KPI ids"));
        for (size_t i = 0; i < c["kpis"].size(); ++i) {
            const QString id = str(c["kpis"][i], ptr(w, i), 200);
            if (!s->kpi(id)) fail(ptr(w, i), QStringLiteral("no KPI has the id '%1'").arg(id));
            ch.kpis << id;
        }
    }
    if (c.contains("compare")) {
        const QString w = ptr(where, QStringLiteral("compare"));
        expectObject(c["compare"], w);
        checkKeys(c["compare"], w, {QStringLiteral("projection"), QStringLiteral("with")},
                  QStringLiteral("a compare"));
        if (!c["compare"].contains("projection") || !c["compare"].contains("with"))
            fail(w, QStringLiteral("a compare needs \"projection\" and \"with\""));
        ch.compareA = resolvePath(
            s->folder, str(c["compare"]["projection"], ptr(w, QStringLiteral("projection")), 4096));
        ch.compareB = resolvePath(s->folder, str(c["compare"]["with"], ptr(w, QStringLiteral("with")), 4096));
    }
    if (c.contains("live")) ch.live = parseLive(c["live"], ptr(where, QStringLiteral("live")));
    if (c.contains("expect")) {
        const QString w = ptr(where, QStringLiteral("expect"));
        if (!c["expect"].is_array()) fail(w, QStringLiteral("must be an array of facts"));
        for (size_t i = 0; i < c["expect"].size(); ++i)
            ch.expect << parseFact(c["expect"][i], ptr(w, i), *s);
    }
    for (const Template* t : {&ch.captionTemplate, &ch.notesTemplate})
        for (const QString& id : t->kpiIds())
            if (!s->kpi(id))
                fail(ptr(where,
                         t == &ch.captionTemplate ? QStringLiteral("caption") : QStringLiteral("notes")),
                     QStringLiteral("{kpi(%1)}: no KPI has this id").arg(id));
    return ch;
}

/// Refuses nesting deeper than kMaxStoryDepth before the parser sees the text (a story is shallow; a
/// 100,000-level document must get a message, not a deep recursion).
bool checkDepth(const QByteArray& text, QString* error)
{
    int depth = 0;
    bool inString = false;
    int line = 1;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') ++line;
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxStoryDepth) {
                *error = QStringLiteral(
                             "line %1: the story nests deeper than %2 levels; a story file is a shallow "
                             "document")
                             .arg(line)
                             .arg(kMaxStoryDepth);
                return false;
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

} // namespace

bool parseStory(const QByteArray& text, const QString& folder, Story* out, QString* error)
{
    if (text.size() > kMaxStoryBytes) {
        *error = QStringLiteral("the story is %1 bytes; a story file is at most %2 bytes")
                     .arg(text.size())
                     .arg(kMaxStoryBytes);
        return false;
    }
    if (!checkDepth(text, error)) return false;
    Json root;
    try {
        root = Json::parse(text.constData(), text.constData() + text.size());
    } catch (const Json::parse_error& e) {
        // Line and column of the byte the parser stopped at.
        const qsizetype at = std::min<qsizetype>(qsizetype(e.byte) - 1, text.size());
        int line = 1, col = 1;
        for (qsizetype i = 0; i < at && i < text.size(); ++i) {
            if (text[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        QString what = QString::fromStdString(e.what());
        const qsizetype colon = what.lastIndexOf(QLatin1String(": "));
        if (colon >= 0) what = what.mid(colon + 2);
        *error = QStringLiteral("not valid JSON at line %1, column %2: %3").arg(line).arg(col).arg(what);
        return false;
    }
    Story s;
    s.folder = folder;
    s.text = text;
    try {
        expectObject(root, QStringLiteral(""));
        checkKeys(root, QString(),
                  {QStringLiteral("chronostory"), QStringLiteral("title"), QStringLiteral("audience"),
                   QStringLiteral("locale"), QStringLiteral("source"), QStringLiteral("glossary"),
                   QStringLiteral("kpis"), QStringLiteral("chapters")},
                  QStringLiteral("a story"));
        if (!root.contains("chronostory"))
            fail(QStringLiteral("/chronostory"),
                 QStringLiteral("missing: a story file starts with \"chronostory\": 1"));
        const qint64 version = integer(root["chronostory"], QStringLiteral("/chronostory"), 1, 1000000);
        if (version != 1)
            fail(QStringLiteral("/chronostory"),
                 QStringLiteral("version %1 is newer than this Chronoscope reads (1)").arg(version));
        s.title = root.contains("title") ? str(root["title"], QStringLiteral("/title"), 500) : QString();
        if (root.contains("audience")) s.audience = str(root["audience"], QStringLiteral("/audience"), 500);
        if (root.contains("locale")) {
            s.locale = str(root["locale"], QStringLiteral("/locale"), 50);
            if (QLocale(s.locale).name() == QLatin1String("C") && s.locale != QLatin1String("C"))
                s.warnings << QStringLiteral("/locale: '%1' is not a locale this system knows; numbers use C")
                                  .arg(s.locale);
        }
        if (root.contains("source")) {
            const Json& src = expectObject(root["source"], QStringLiteral("/source"));
            checkKeys(src, QStringLiteral("/source"), {QStringLiteral("uri"), QStringLiteral("sha256")},
                      QStringLiteral("the source"));
            if (src.contains("uri")) s.sourceUri = str(src["uri"], QStringLiteral("/source/uri"), 4096);
            if (src.contains("sha256")) {
                s.sourceSha256 = str(src["sha256"], QStringLiteral("/source/sha256"), 100).toLower();
                static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
                // A placeholder ("…optional…") is not a reason to refuse the story: it is ignored, and lint
                // says so.
                if (!hex.match(s.sourceSha256).hasMatch()) {
                    s.warnings
                        << QStringLiteral(
                               "/source/sha256: '%1' is not 64 hexadecimal digits; the store is not compared")
                               .arg(s.sourceSha256);
                    s.sourceSha256.clear();
                }
            }
        }
        if (root.contains("glossary")) parseGlossary(root["glossary"], &s);
        if (root.contains("kpis")) {
            if (!root["kpis"].is_array()) fail(QStringLiteral("/kpis"), QStringLiteral("must be an array"));
            for (size_t i = 0; i < root["kpis"].size(); ++i) {
                const QString w = ptr(QStringLiteral("/kpis"), i);
                const Json& k = expectObject(root["kpis"][i], w);
                checkKeys(k, w,
                          {QStringLiteral("id"), QStringLiteral("label"), QStringLiteral("projection"),
                           QStringLiteral("pointer"), QStringLiteral("format")},
                          QStringLiteral("a KPI"));
                Kpi kpi;
                if (!k.contains("id") || !k.contains("projection"))
                    fail(w, QStringLiteral("a KPI needs \"id\" and \"projection\""));
                kpi.id = str(k["id"], ptr(w, QStringLiteral("id")), 200);
                if (kpi.id.isEmpty() || s.kpi(kpi.id))
                    fail(ptr(w, QStringLiteral("id")),
                         kpi.id.isEmpty() ? QStringLiteral("must not be empty")
                                          : QStringLiteral("another KPI has the id '%1'").arg(kpi.id));
                kpi.label =
                    k.contains("label") ? str(k["label"], ptr(w, QStringLiteral("label")), 200) : kpi.id;
                kpi.projection =
                    resolvePath(folder, str(k["projection"], ptr(w, QStringLiteral("projection")), 4096));
                if (k.contains("pointer"))
                    kpi.pointer = pointerArg(k["pointer"], ptr(w, QStringLiteral("pointer")), false);
                if (k.contains("format")) {
                    kpi.format = str(k["format"], ptr(w, QStringLiteral("format")), 200);
                    QString why;
                    if (!parseFormatters(kpi.format, &why)) fail(ptr(w, QStringLiteral("format")), why);
                }
                s.kpis << kpi;
            }
        }
        if (!root.contains("chapters"))
            fail(QStringLiteral("/chapters"), QStringLiteral("missing: a story needs at least one chapter"));
        if (!root["chapters"].is_array() || root["chapters"].empty())
            fail(QStringLiteral("/chapters"), QStringLiteral("must be a non-empty array of chapters"));
        QSet<QString> ids;
        for (size_t i = 0; i < root["chapters"].size(); ++i) {
            s.chapters << parseChapter(root["chapters"][i], i, &s, ids);
            ids.insert(s.chapters.last().id);
        }
    } catch (const Invalid& e) {
        *error =
            (e.where.isEmpty() ? QStringLiteral("(the document)") : e.where) + QStringLiteral(": ") + e.what;
        return false;
    } catch (const std::exception& e) {
        *error = QStringLiteral("the story could not be read: %1").arg(QString::fromUtf8(e.what()));
        return false;
    }
    if (s.title.isEmpty()) s.title = QStringLiteral("Untitled story");
    *out = std::move(s);
    return true;
}

bool loadStory(const QString& path, Story* out, QString* error)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot read the story: %2").arg(path, f.errorString());
        return false;
    }
    if (f.size() > kMaxStoryBytes) {
        *error = QStringLiteral("%1: the story is %2 bytes; a story file is at most %3 bytes")
                     .arg(path)
                     .arg(f.size())
                     .arg(kMaxStoryBytes);
        return false;
    }
    const QByteArray text = f.readAll();
    QString why;
    if (!parseStory(text, QFileInfo(path).absolutePath(), out, &why)) {
        *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    }
    out->path = QFileInfo(path).absoluteFilePath();
    return true;
}

} // namespace chronoscope::story
