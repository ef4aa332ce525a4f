#include "diff/jsondiff.h"

#include "json/mergepatch.h"

#include <QHash>
#include <QJsonObject>

#include <algorithm>

namespace chronoscope {

namespace {

QJsonObject op(const char* name, const QString& path)
{
    QJsonObject o;
    o.insert(QStringLiteral("op"), QLatin1String(name));
    o.insert(QStringLiteral("path"), path);
    return o;
}

void emitAdd(QJsonArray& out, const QString& path, const QJsonValue& value)
{
    QJsonObject o = op("add", path);
    o.insert(QStringLiteral("value"), value);
    out.append(o);
}

void emitReplace(QJsonArray& out, const QString& path, const QJsonValue& value)
{
    QJsonObject o = op("replace", path);
    o.insert(QStringLiteral("value"), value);
    out.append(o);
}

void emitRemove(QJsonArray& out, const QString& path)
{
    out.append(op("remove", path));
}

// Appends "/token" to path and restores it when it goes out of scope, so one QString serves the
// whole recursion instead of a new string per level.
class PathScope
{
public:
    PathScope(QString& path, const QString& token) : m_path(path), m_size(path.size())
    {
        m_path.append(QLatin1Char('/'));
        m_path.append(escapeJsonPointerToken(token));
    }
    PathScope(QString& path, qsizetype index) : m_path(path), m_size(path.size())
    {
        m_path.append(QLatin1Char('/'));
        m_path.append(QString::number(index));
    }
    ~PathScope() { m_path.truncate(m_size); }

private:
    QString& m_path;
    qsizetype m_size;
};

void diffValue(const QJsonValue& a, const QJsonValue& b, QString& path, QJsonArray& out);

void diffUnequal(const QJsonValue& a, const QJsonValue& b, QString& path, QJsonArray& out);

void diffMember(const QString& key, const QJsonValue& av, const QJsonValue& bv, QString& path, QJsonArray& out)
{
    // Most members of two states are equal (often the very same shared value): compare before
    // spending anything on the member's path.
    if (av.type() == bv.type() && av == bv)
        return;
    PathScope scope(path, key);
    diffUnequal(av, bv, path, out);
}

// By lookups: right whatever order the keys come in.
void diffObjectByLookup(const QJsonObject& a, const QJsonObject& b, QString& path, QJsonArray& out)
{
    for (auto it = a.constBegin(); it != a.constEnd(); ++it) {
        const QString key = it.key();
        const auto jt = b.constFind(key);
        if (jt == b.constEnd()) {
            PathScope scope(path, key);
            emitRemove(out, path);
        } else {
            diffMember(key, it.value(), jt.value(), path, out);
        }
    }
    for (auto jt = b.constBegin(); jt != b.constEnd(); ++jt) {
        const QString key = jt.key();
        if (a.contains(key))
            continue;
        PathScope scope(path, key);
        emitAdd(out, path, jt.value());
    }
}

void diffObject(const QJsonObject& a, const QJsonObject& b, QString& path, QJsonArray& out)
{
    // Qt keeps object members sorted by key (its lookups are binary searches), so one merge-join
    // walk finds removed, shared and added members without a lookup per key. Should the order ever
    // not be the one QString::compare gives (keys beyond the BMP may sort differently), the walk
    // notices, drops what it emitted and falls back to lookups. Same ops, same order, either way.
    const qsizetype mark = out.size();
    QList<QJsonObject::const_iterator> added;
    auto it = a.constBegin();
    auto jt = b.constBegin();
    QString ka, kb, prevA, prevB;
    bool haveA = false, haveB = false, sorted = true;
    auto nextA = [&] {
        haveA = it != a.constEnd();
        if (haveA) {
            prevA = std::move(ka);
            ka = it.key();
            if (!prevA.isNull() && prevA.compare(ka) >= 0)
                sorted = false;
        }
    };
    auto nextB = [&] {
        haveB = jt != b.constEnd();
        if (haveB) {
            prevB = std::move(kb);
            kb = jt.key();
            if (!prevB.isNull() && prevB.compare(kb) >= 0)
                sorted = false;
        }
    };
    nextA();
    nextB();
    while (sorted && (haveA || haveB)) {
        const int c = !haveA ? 1 : !haveB ? -1 : ka.compare(kb);
        if (c == 0) {
            diffMember(ka, it.value(), jt.value(), path, out);
            ++it;
            ++jt;
            nextA();
            nextB();
        } else if (c < 0) {
            PathScope scope(path, ka);
            emitRemove(out, path);
            ++it;
            nextA();
        } else {
            added.append(jt);
            ++jt;
            nextB();
        }
    }
    if (!sorted) {
        while (out.size() > mark)
            out.removeLast();
        diffObjectByLookup(a, b, path, out);
        return;
    }
    for (const auto& add : added) {
        PathScope scope(path, add.key());
        emitAdd(out, path, add.value());
    }
}

bool hasIdMember(const QJsonValue& v)
{
    return v.isObject() && v.toObject().contains(QLatin1String("id"));
}

// Identity of an element in an id-matched array: its id, or (for elements without one) its value.
QByteArray identity(const QJsonValue& v)
{
    if (hasIdMember(v))
        return QByteArrayLiteral("i") + toJsonText(v.toObject().value(QLatin1String("id")));
    return QByteArrayLiteral("v") + toJsonText(v);
}

// Indexes (into seq) of a longest strictly increasing subsequence of seq (patience sorting).
QList<qsizetype> longestIncreasing(const QList<qsizetype>& seq)
{
    QList<qsizetype> tailIdx;          // index into seq of the smallest tail of each length
    QList<qsizetype> prev(seq.size(), -1);
    for (qsizetype i = 0; i < seq.size(); ++i) {
        auto it = std::lower_bound(tailIdx.begin(), tailIdx.end(), seq[i],
                                   [&seq](qsizetype idx, qsizetype value) { return seq[idx] < value; });
        const qsizetype len = it - tailIdx.begin();
        if (len > 0)
            prev[i] = tailIdx[len - 1];
        if (it == tailIdx.end())
            tailIdx.append(i);
        else
            *it = i;
    }
    QList<qsizetype> result(tailIdx.size());
    qsizetype k = tailIdx.isEmpty() ? -1 : tailIdx.last();
    for (qsizetype pos = result.size() - 1; pos >= 0; --pos) {
        result[pos] = k;
        k = prev[k];
    }
    return result;
}

void diffArrayById(const QJsonArray& a, const QJsonArray& b, QString& path, QJsonArray& out)
{
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    // Match the k-th occurrence of an identity in a with its k-th occurrence in b.
    QHash<QByteArray, QList<qsizetype>> inB;
    for (qsizetype j = 0; j < m; ++j)
        inB[identity(b.at(j))].append(j);
    QHash<QByteArray, qsizetype> used;
    QList<qsizetype> matchedA;   // indexes into a that found a partner, in order
    QList<qsizetype> partner;    // their partner in b
    for (qsizetype i = 0; i < n; ++i) {
        const QByteArray key = identity(a.at(i));
        auto it = inB.constFind(key);
        if (it == inB.constEnd())
            continue;
        qsizetype& k = used[key];
        if (k < it->size()) {
            matchedA.append(i);
            partner.append(it->at(k));
            ++k;
        }
    }
    // Elements whose partners keep their relative order stay; the others move (remove + add).
    QList<bool> keepA(n, false);
    QList<qsizetype> bToA(m, -1);
    for (qsizetype idx : longestIncreasing(partner)) {
        keepA[matchedA[idx]] = true;
        bToA[partner[idx]] = matchedA[idx];
    }
    for (qsizetype i = n - 1; i >= 0; --i) {
        if (keepA[i])
            continue;
        PathScope scope(path, i);
        emitRemove(out, path);
    }
    // Now the array is the kept elements in b's order; walking b, index j is either the next kept
    // element (diff it in place) or a new one (insert it, shifting the kept ones right).
    for (qsizetype j = 0; j < m; ++j) {
        PathScope scope(path, j);
        if (bToA[j] >= 0)
            diffValue(a.at(bToA[j]), b.at(j), path, out);
        else
            emitAdd(out, path, b.at(j));
    }
}

void diffArrayByIndex(const QJsonArray& a, const QJsonArray& b, QString& path, QJsonArray& out)
{
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    // Equal prefix and suffix stay untouched, so one insertion or deletion is one op, not a cascade
    // of replaces.
    qsizetype pre = 0;
    while (pre < n && pre < m && a.at(pre) == b.at(pre))
        ++pre;
    qsizetype suf = 0;
    while (suf < n - pre && suf < m - pre && a.at(n - 1 - suf) == b.at(m - 1 - suf))
        ++suf;
    const qsizetype na = n - pre - suf;
    const qsizetype nb = m - pre - suf;
    const qsizetype common = std::min(na, nb);
    for (qsizetype i = 0; i < common; ++i) {
        PathScope scope(path, pre + i);
        diffValue(a.at(pre + i), b.at(pre + i), path, out);
    }
    for (qsizetype i = na - 1; i >= common; --i) {
        PathScope scope(path, pre + i);
        emitRemove(out, path);
    }
    for (qsizetype i = common; i < nb; ++i) {
        PathScope scope(path, pre + i);
        emitAdd(out, path, b.at(pre + i));
    }
}

void diffArray(const QJsonArray& a, const QJsonArray& b, QString& path, QJsonArray& out)
{
    const bool byId = std::any_of(a.begin(), a.end(), hasIdMember) || std::any_of(b.begin(), b.end(), hasIdMember);
    if (byId)
        diffArrayById(a, b, path, out);
    else
        diffArrayByIndex(a, b, path, out);
}

void diffValue(const QJsonValue& a, const QJsonValue& b, QString& path, QJsonArray& out)
{
    if (a.type() == b.type() && a == b)  // cheap when both share one container (states folded from a common checkpoint)
        return;
    diffUnequal(a, b, path, out);
}

void diffUnequal(const QJsonValue& a, const QJsonValue& b, QString& path, QJsonArray& out)
{
    if (a.type() != b.type()) {
        emitReplace(out, path, b);
        return;
    }
    if (a.isObject())
        diffObject(a.toObject(), b.toObject(), path, out);
    else if (a.isArray())
        diffArray(a.toArray(), b.toArray(), path, out);
    else
        emitReplace(out, path, b);
}

// ---- patch application ----------------------------------------------------------------------

std::optional<qsizetype> arrayIndex(const QString& token)
{
    if (token.isEmpty() || token.size() > 18)
        return std::nullopt;
    if (token.size() > 1 && token.front() == QLatin1Char('0'))
        return std::nullopt;
    qsizetype v = 0;
    for (QChar c : token) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return std::nullopt;
        v = v * 10 + (c.unicode() - '0');
    }
    return v;
}

enum class Mutation { Add, Remove, Replace };

// Walks to the parent of the last token and applies the mutation there. Children are taken out of
// their parent while they are changed (the slot is nulled), so the change happens in place instead
// of detaching a copy of every container on the path.
bool mutate(QJsonValue& node, const QStringList& tokens, qsizetype depth, Mutation m, const QJsonValue& value,
            QJsonValue* removed, QString* error)
{
    const QString& token = tokens.at(depth);
    const bool last = depth == tokens.size() - 1;
    if (node.isObject()) {
        QJsonObject obj = node.toObject();
        node = QJsonValue();
        bool ok = true;
        if (last) {
            const bool exists = obj.contains(token);
            if (m != Mutation::Add && !exists) {
                *error = QStringLiteral("no member \"%1\"").arg(token);
                ok = false;
            } else if (m == Mutation::Remove) {
                if (removed)
                    *removed = obj.take(token);
                else
                    obj.remove(token);
            } else {
                obj.insert(token, value);
            }
        } else {
            auto it = obj.find(token);
            if (it == obj.end()) {
                *error = QStringLiteral("no member \"%1\"").arg(token);
                ok = false;
            } else {
                QJsonValue child = it.value();
                it.value() = QJsonValue();
                ok = mutate(child, tokens, depth + 1, m, value, removed, error);
                obj.insert(token, child);
            }
        }
        node = obj;
        return ok;
    }
    if (node.isArray()) {
        QJsonArray arr = node.toArray();
        node = QJsonValue();
        bool ok = true;
        const auto index = arrayIndex(token);
        const bool append = token == QLatin1String("-");
        if (last && m == Mutation::Add && (append || (index && *index <= arr.size()))) {
            if (append)
                arr.append(value);
            else
                arr.insert(*index, value);
        } else if (!index || *index >= arr.size()) {
            *error = QStringLiteral("no array element \"%1\" (size %2)").arg(token).arg(arr.size());
            ok = false;
        } else if (last) {
            if (m == Mutation::Remove) {
                if (removed)
                    *removed = arr.at(*index);
                arr.removeAt(*index);
            } else {
                arr.replace(*index, value);
            }
        } else {
            QJsonValue child = arr.at(*index);
            arr.replace(*index, QJsonValue());
            ok = mutate(child, tokens, depth + 1, m, value, removed, error);
            arr.replace(*index, child);
        }
        node = arr;
        return ok;
    }
    *error = QStringLiteral("\"%1\" is inside a scalar").arg(token);
    return false;
}

bool mutateDoc(QJsonValue& doc, const QStringList& tokens, Mutation m, const QJsonValue& value, QJsonValue* removed,
               QString* error)
{
    if (tokens.isEmpty()) {
        if (m == Mutation::Remove) {
            if (removed)
                *removed = doc;
            doc = QJsonValue();
        } else {
            doc = value;
        }
        return true;
    }
    return mutate(doc, tokens, 0, m, value, removed, error);
}

} // namespace

QJsonArray diffJson(const QJsonValue& from, const QJsonValue& to)
{
    QJsonArray out;
    QString path;
    diffValue(from, to, path, out);
    return out;
}

bool applyJsonPatch(QJsonValue& doc, const QJsonArray& patch, QString* error)
{
    QJsonValue work = doc;
    QString why;
    auto fail = [&](qsizetype i, const QString& what) {
        if (error)
            *error = QStringLiteral("patch operation %1: %2").arg(i).arg(what);
        return false;
    };
    for (qsizetype i = 0; i < patch.size(); ++i) {
        const QJsonObject o = patch.at(i).toObject();
        const QString name = o.value(QLatin1String("op")).toString();
        if (!o.value(QLatin1String("path")).isString())
            return fail(i, QStringLiteral("missing \"path\""));
        const QString pathText = o.value(QLatin1String("path")).toString();
        const auto path = parseJsonPointer(pathText, &why);
        if (!path)
            return fail(i, why);
        const bool needsValue = name == QLatin1String("add") || name == QLatin1String("replace")
                                || name == QLatin1String("test");
        if (needsValue && !o.contains(QLatin1String("value")))
            return fail(i, QStringLiteral("\"%1\" without \"value\"").arg(name));
        const QJsonValue value = o.value(QLatin1String("value"));
        bool ok = true;
        if (name == QLatin1String("add")) {
            ok = mutateDoc(work, *path, Mutation::Add, value, nullptr, &why);
        } else if (name == QLatin1String("remove")) {
            ok = mutateDoc(work, *path, Mutation::Remove, {}, nullptr, &why);
        } else if (name == QLatin1String("replace")) {
            ok = mutateDoc(work, *path, Mutation::Replace, value, nullptr, &why);
        } else if (name == QLatin1String("test")) {
            const auto current = valueAtPointer(work, *path);
            if (!current) {
                ok = false;
                why = QStringLiteral("test: nothing at \"%1\"").arg(pathText);
            } else if (*current != value) {
                ok = false;
                why = QStringLiteral("test failed at \"%1\"").arg(pathText);
            }
        } else if (name == QLatin1String("move") || name == QLatin1String("copy")) {
            if (!o.value(QLatin1String("from")).isString())
                return fail(i, QStringLiteral("\"%1\" without \"from\"").arg(name));
            const QString fromText = o.value(QLatin1String("from")).toString();
            const auto from = parseJsonPointer(fromText, &why);
            if (!from)
                return fail(i, why);
            if (name == QLatin1String("move")) {
                if (pathText.startsWith(fromText + QLatin1Char('/')))
                    return fail(i, QStringLiteral("cannot move \"%1\" into itself").arg(fromText));
                QJsonValue moved;
                ok = mutateDoc(work, *from, Mutation::Remove, {}, &moved, &why)
                     && mutateDoc(work, *path, Mutation::Add, moved, nullptr, &why);
            } else {
                const auto copied = valueAtPointer(work, *from);
                if (!copied) {
                    ok = false;
                    why = QStringLiteral("nothing at \"%1\"").arg(fromText);
                } else {
                    ok = mutateDoc(work, *path, Mutation::Add, *copied, nullptr, &why);
                }
            }
        } else {
            return fail(i, QStringLiteral("unknown op \"%1\"").arg(name));
        }
        if (!ok)
            return fail(i, QStringLiteral("%1 %2: %3").arg(name, pathText, why));
    }
    doc = work;
    return true;
}

QString escapeJsonPointerToken(const QString& token)
{
    if (!token.contains(QLatin1Char('~')) && !token.contains(QLatin1Char('/')))
        return token;
    QString out = token;
    out.replace(QLatin1Char('~'), QLatin1String("~0"));
    out.replace(QLatin1Char('/'), QLatin1String("~1"));
    return out;
}

QString makeJsonPointer(const QStringList& tokens)
{
    QString out;
    for (const QString& t : tokens) {
        out.append(QLatin1Char('/'));
        out.append(escapeJsonPointerToken(t));
    }
    return out;
}

std::optional<QStringList> parseJsonPointer(const QString& pointer, QString* error)
{
    if (pointer.isEmpty())
        return QStringList();
    if (pointer.front() != QLatin1Char('/')) {
        if (error)
            *error = QStringLiteral("JSON pointer \"%1\" does not start with \"/\"").arg(pointer);
        return std::nullopt;
    }
    QStringList tokens = pointer.mid(1).split(QLatin1Char('/'));
    for (QString& t : tokens) {
        if (!t.contains(QLatin1Char('~')))
            continue;
        QString out;
        out.reserve(t.size());
        for (qsizetype i = 0; i < t.size(); ++i) {
            if (t[i] != QLatin1Char('~')) {
                out.append(t[i]);
                continue;
            }
            const QChar next = i + 1 < t.size() ? t[i + 1] : QChar();
            if (next != QLatin1Char('0') && next != QLatin1Char('1')) {
                if (error)
                    *error = QStringLiteral("JSON pointer \"%1\": \"~\" must be followed by 0 or 1").arg(pointer);
                return std::nullopt;
            }
            out.append(next == QLatin1Char('0') ? QLatin1Char('~') : QLatin1Char('/'));
            ++i;
        }
        t = out;
    }
    return tokens;
}

std::optional<QJsonValue> valueAtPointer(const QJsonValue& doc, const QStringList& tokens)
{
    QJsonValue cur = doc;
    for (const QString& t : tokens) {
        if (cur.isObject()) {
            const QJsonObject obj = cur.toObject();
            const auto it = obj.constFind(t);
            if (it == obj.constEnd())
                return std::nullopt;
            cur = it.value();
        } else if (cur.isArray()) {
            const QJsonArray arr = cur.toArray();
            const auto index = arrayIndex(t);
            if (!index || *index >= arr.size())
                return std::nullopt;
            cur = arr.at(*index);
        } else {
            return std::nullopt;
        }
    }
    return cur;
}

std::optional<QJsonValue> valueAtPointer(const QJsonValue& doc, const QString& pointer)
{
    const auto tokens = parseJsonPointer(pointer);
    if (!tokens)
        return std::nullopt;
    return valueAtPointer(doc, *tokens);
}

} // namespace chronoscope
