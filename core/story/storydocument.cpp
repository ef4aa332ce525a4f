#include "story/storydocument.h"

#include <QObject>

namespace chronoscope::story {

namespace {

constexpr int kMaxDepth = 64;     // as story files (story.h kMaxStoryDepth)
constexpr int kInlineWidth = 100; // new objects/arrays of scalars up to this width stay on one line

class Parser
{
public:
    explicit Parser(const QByteArray& t) : s(t) {}

    bool fail(const QString& what)
    {
        if (error.isEmpty()) {
            int line = 1, col = 1;
            for (qsizetype k = 0; k < i && k < s.size(); ++k) {
                if (s[k] == '\n') {
                    ++line;
                    col = 1;
                } else {
                    ++col;
                }
            }
            error = QObject::tr("line %1, column %2: %3").arg(line).arg(col).arg(what);
        }
        return false;
    }
    void ws()
    {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
            ++i;
    }
    bool value(StoryNode& out, int depth)
    {
        if (depth > kMaxDepth) return fail(QObject::tr("more than %1 levels of nesting").arg(kMaxDepth));
        if (i >= s.size()) return fail(QObject::tr("the text ends where a value was expected"));
        const qsizetype start = i;
        const char c = s[i];
        bool ok = false;
        if (c == '{')
            ok = container(out, depth, true);
        else if (c == '[')
            ok = container(out, depth, false);
        else if (c == '"') {
            out.kind = StoryNode::Kind::String;
            ok = string(&out.text);
        } else
            ok = literal(out);
        if (!ok) return false;
        out.raw = s.mid(start, i - start);
        out.edited = false;
        return true;
    }
    bool container(StoryNode& out, int depth, bool object)
    {
        out.kind = object ? StoryNode::Kind::Object : StoryNode::Kind::Array;
        const char close = object ? '}' : ']';
        ++i;
        qsizetype leadStart = i;
        ws();
        if (i < s.size() && s[i] == close) {
            out.tail = s.mid(leadStart, i - leadStart);
            ++i;
            return true;
        }
        for (;;) {
            QString key;
            if (object) {
                if (i >= s.size() || s[i] != '"')
                    return fail(QObject::tr("a member name (a string in quotes) was expected"));
                if (!string(&key)) return false;
                ws();
                if (i >= s.size() || s[i] != ':')
                    return fail(QObject::tr("':' was expected after the member name"));
                ++i;
                ws();
                if (out.keys.contains(key))
                    return fail(QObject::tr("the member '%1' appears twice").arg(key));
            }
            StoryNode child;
            const qsizetype valueStart = i;
            if (!value(child, depth + 1)) return false;
            child.lead = s.mid(leadStart, valueStart - leadStart);
            if (object) out.keys.append(key);
            out.children.append(std::move(child));
            const qsizetype valueEnd = i;
            ws();
            if (i < s.size() && s[i] == ',') {
                ++i;
                leadStart = i;
                ws();
                continue;
            }
            if (i < s.size() && s[i] == close) {
                out.tail = s.mid(valueEnd, i - valueEnd);
                ++i;
                return true;
            }
            return fail(object ? QObject::tr("',' or '}' was expected")
                               : QObject::tr("',' or ']' was expected"));
        }
    }
    bool hex4(uint* out)
    {
        if (i + 4 > s.size()) return fail(QObject::tr("a \\u escape needs four hex digits"));
        bool ok = false;
        *out = QByteArray(s.constData() + i, 4).toUInt(&ok, 16);
        if (!ok) return fail(QObject::tr("a \\u escape needs four hex digits"));
        i += 4;
        return true;
    }
    bool string(QString* out)
    {
        ++i; // "
        QByteArray bytes;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                ++i;
                *out = QString::fromUtf8(bytes);
                return true;
            }
            if (uchar(c) < 0x20) return fail(QObject::tr("a control character inside a string"));
            if (c != '\\') {
                bytes.append(c);
                ++i;
                continue;
            }
            if (++i >= s.size()) break;
            const char e = s[i++];
            switch (e) {
            case '"':
                bytes.append('"');
                break;
            case '\\':
                bytes.append('\\');
                break;
            case '/':
                bytes.append('/');
                break;
            case 'b':
                bytes.append('\b');
                break;
            case 'f':
                bytes.append('\f');
                break;
            case 'n':
                bytes.append('\n');
                break;
            case 'r':
                bytes.append('\r');
                break;
            case 't':
                bytes.append('\t');
                break;
            case 'u': {
                uint u = 0;
                if (!hex4(&u)) return false;
                char32_t cp = u;
                if (u >= 0xD800 && u < 0xDC00 && i + 6 <= s.size() && s[i] == '\\' && s[i + 1] == 'u') {
                    i += 2;
                    uint lo = 0;
                    if (!hex4(&lo)) return false;
                    cp = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                }
                bytes.append(QString::fromUcs4(&cp, 1).toUtf8());
                break;
            }
            default:
                return fail(QObject::tr("unknown escape '\\%1'").arg(QLatin1Char(e)));
            }
        }
        return fail(QObject::tr("a string is never closed"));
    }
    bool literal(StoryNode& out)
    {
        const qsizetype start = i;
        for (const char* word : {"true", "false", "null"}) {
            const qsizetype n = qsizetype(qstrlen(word));
            if (s.mid(i, n) == word) {
                i += n;
                out.kind = word[0] == 'n' ? StoryNode::Kind::Null : StoryNode::Kind::Bool;
                out.text = QString::fromLatin1(word);
                return true;
            }
        }
        auto digits = [&] {
            const qsizetype from = i;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9')
                ++i;
            return i > from;
        };
        if (i < s.size() && s[i] == '-') ++i;
        if (!digits()) return fail(QObject::tr("a value was expected"));
        if (i < s.size() && s[i] == '.') {
            ++i;
            if (!digits()) return fail(QObject::tr("digits were expected after '.'"));
        }
        if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
            ++i;
            if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
            if (!digits()) return fail(QObject::tr("digits were expected in the exponent"));
        }
        out.kind = StoryNode::Kind::Number;
        out.text = QString::fromLatin1(s.mid(start, i - start));
        return true;
    }

    const QByteArray& s;
    qsizetype i = 0;
    QString error;
};

QByteArray spaces(int n)
{
    return QByteArray(std::max(0, n), ' ');
}

/// The indentation a lead puts its value at (its text after the last newline, up to the key), or -1 when
/// the lead has no newline (an inline member).
int indentOf(const QByteArray& lead)
{
    const qsizetype nl = lead.lastIndexOf('\n');
    if (nl < 0) return -1;
    int n = 0;
    for (qsizetype k = nl + 1; k < lead.size() && lead[k] == ' '; ++k)
        ++n;
    return n;
}

QByteArray whitespacePrefix(const QByteArray& lead)
{
    qsizetype k = 0;
    while (k < lead.size() && (lead[k] == ' ' || lead[k] == '\n' || lead[k] == '\r' || lead[k] == '\t'))
        ++k;
    return lead.left(k);
}

bool isScalar(const StoryNode& n)
{
    return !n.isContainer();
}

QByteArray writeNew(const StoryNode& n, int indent);

QByteArray writeInline(const StoryNode& n)
{
    if (isScalar(n)) return writeNew(n, 0);
    QByteArray out = n.kind == StoryNode::Kind::Object ? "{ " : "[";
    for (int k = 0; k < n.children.size(); ++k) {
        if (k) out += ", ";
        if (n.kind == StoryNode::Kind::Object) out += jsonQuote(n.keys[k]) + ": ";
        out += writeInline(n.children[k]);
    }
    out += n.kind == StoryNode::Kind::Object ? " }" : "]";
    return out;
}

/// One line for an object or array whose members are scalars (or arrays of scalars) and that is short.
bool fitsInline(const StoryNode& n)
{
    if (n.children.isEmpty()) return true;
    for (const StoryNode& c : n.children) {
        if (c.kind == StoryNode::Kind::Object) return false;
        if (c.kind == StoryNode::Kind::Array)
            for (const StoryNode& g : c.children)
                if (!isScalar(g)) return false;
    }
    return writeInline(n).size() <= kInlineWidth;
}

QByteArray writeNew(const StoryNode& n, int indent)
{
    switch (n.kind) {
    case StoryNode::Kind::String:
        return jsonQuote(n.text);
    case StoryNode::Kind::Number:
    case StoryNode::Kind::Bool:
    case StoryNode::Kind::Null:
        return n.text.toUtf8();
    case StoryNode::Kind::Object:
    case StoryNode::Kind::Array:
        break;
    }
    const bool object = n.kind == StoryNode::Kind::Object;
    if (n.children.isEmpty()) return object ? "{}" : "[]";
    if (fitsInline(n)) return writeInline(n);
    QByteArray out = object ? "{" : "[";
    for (int k = 0; k < n.children.size(); ++k) {
        out += k ? ",\n" : "\n";
        out += spaces(indent + 2);
        if (object) out += jsonQuote(n.keys[k]) + ": ";
        out += writeNew(n.children[k], indent + 2);
    }
    out += '\n' + spaces(indent) + (object ? '}' : ']');
    return out;
}

QByteArray write(const StoryNode& n, int indent)
{
    if (!n.edited) return n.raw;
    if (!n.isContainer() || n.raw.isEmpty()) return writeNew(n, indent);
    const bool object = n.kind == StoryNode::Kind::Object;
    if (n.children.isEmpty()) return object ? "{}" : "[]";
    QByteArray out = object ? "{" : "[";
    for (int k = 0; k < n.children.size(); ++k) {
        const StoryNode& c = n.children[k];
        if (k) out += ',';
        out += c.lead;
        const int own = indentOf(c.lead);
        out += write(c, own >= 0 ? own : indent);
    }
    out += n.tail;
    out += object ? '}' : ']';
    return out;
}

/// The whitespace a new member or item of `parent` starts with (from a sibling, else a new line).
QByteArray newWhitespace(const StoryNode& parent, int parentIndent)
{
    for (qsizetype k = parent.children.size() - 1; k >= 0; --k) {
        const QByteArray w = whitespacePrefix(parent.children[k].lead);
        if (k > 0 || w.contains('\n')) return w;
        if (k == 0)
            return parent.kind == StoryNode::Kind::Array ? QByteArray(" ")
                   : w.isEmpty()                         ? QByteArray(" ")
                                                         : w;
    }
    return '\n' + spaces(parentIndent + 2);
}

QString unescapeToken(QString t)
{
    t.replace(QLatin1String("~1"), QLatin1String("/"));
    t.replace(QLatin1String("~0"), QLatin1String("~"));
    return t;
}

bool splitPointer(const QString& pointer, QStringList* tokens)
{
    tokens->clear();
    if (pointer.isEmpty()) return true;
    if (!pointer.startsWith(QLatin1Char('/'))) return false;
    for (const QString& t : pointer.mid(1).split(QLatin1Char('/')))
        tokens->append(unescapeToken(t));
    return true;
}

int arrayIndex(const QString& token, int size)
{
    bool ok = false;
    const int k = token.toInt(&ok);
    return ok && k >= 0 && k < size && (token == QLatin1String("0") || !token.startsWith(QLatin1Char('0')))
               ? k
               : -1;
}

} // namespace

StoryNode StoryNode::string(const QString& s)
{
    StoryNode n;
    n.kind = Kind::String;
    n.text = s;
    return n;
}

StoryNode StoryNode::number(qint64 v)
{
    StoryNode n;
    n.kind = Kind::Number;
    n.text = QString::number(v);
    return n;
}

StoryNode StoryNode::object(const QList<QPair<QString, StoryNode>>& members)
{
    StoryNode n;
    n.kind = Kind::Object;
    for (const auto& m : members) {
        n.keys.append(m.first);
        n.children.append(m.second);
    }
    return n;
}

StoryNode StoryNode::array(const QList<StoryNode>& items)
{
    StoryNode n;
    n.kind = Kind::Array;
    n.children = items;
    return n;
}

QByteArray jsonQuote(const QString& s)
{
    QString escaped;
    escaped.reserve(s.size() + 2);
    for (const QChar ch : s) {
        const ushort c = ch.unicode();
        if (c == '"' || c == '\\')
            escaped += QLatin1Char('\\') + ch;
        else if (c == '\n')
            escaped += QLatin1String("\\n");
        else if (c == '\t')
            escaped += QLatin1String("\\t");
        else if (c == '\r')
            escaped += QLatin1String("\\r");
        else if (c < 0x20)
            escaped += QStringLiteral("\\u%1").arg(c, 4, 16, QLatin1Char('0'));
        else
            escaped += ch;
    }
    return '"' + escaped.toUtf8() + '"';
}

QString StoryDocument::pointer(const QStringList& tokens)
{
    QString out;
    for (QString t : tokens) {
        t.replace(QLatin1Char('~'), QLatin1String("~0"));
        t.replace(QLatin1Char('/'), QLatin1String("~1"));
        out += QLatin1Char('/') + t;
    }
    return out;
}

bool StoryDocument::parse(const QByteArray& text, QString* error)
{
    Parser p(text);
    p.ws();
    const qsizetype start = p.i;
    auto root = std::make_shared<StoryNode>();
    if (!p.value(*root, 1)) {
        *error = p.error;
        return false;
    }
    const qsizetype end = p.i;
    p.ws();
    if (p.i != text.size()) {
        p.fail(QObject::tr("text after the end of the document"));
        *error = p.error;
        return false;
    }
    m_before = text.left(start);
    m_after = text.mid(end);
    m_root = root;
    return true;
}

QByteArray StoryDocument::text() const
{
    if (!m_root) return {};
    return m_before + write(*m_root, 0) + m_after;
}

const StoryNode* StoryDocument::at(const QString& ptr) const
{
    return const_cast<StoryDocument*>(this)->find(ptr, nullptr, nullptr);
}

StoryNode* StoryDocument::find(const QString& ptr, QList<StoryNode*>* path, QString* error)
{
    QStringList tokens;
    if (!m_root || !splitPointer(ptr, &tokens)) {
        if (error) *error = QObject::tr("'%1' is not a JSON pointer").arg(ptr);
        return nullptr;
    }
    StoryNode* n = m_root.get();
    for (const QString& t : tokens) {
        if (path) path->append(n);
        int k = -1;
        if (n->kind == StoryNode::Kind::Object)
            k = n->indexOf(t);
        else if (n->kind == StoryNode::Kind::Array)
            k = arrayIndex(t, int(n->children.size()));
        if (k < 0) {
            if (error) *error = QObject::tr("%1: not found").arg(ptr);
            return nullptr;
        }
        n = &n->children[k];
    }
    return n;
}

QString StoryDocument::stringAt(const QString& ptr) const
{
    const StoryNode* n = at(ptr);
    return n && n->kind == StoryNode::Kind::String ? n->text : QString();
}

int StoryDocument::sizeAt(const QString& ptr) const
{
    const StoryNode* n = at(ptr);
    return n ? int(n->children.size()) : 0;
}

QStringList StoryDocument::keysAt(const QString& ptr) const
{
    const StoryNode* n = at(ptr);
    return n ? QStringList(n->keys) : QStringList();
}

namespace {
void markEdited(const QList<StoryNode*>& path)
{
    for (StoryNode* n : path)
        n->edited = true;
}

/// The indentation of the node at the end of `path` (the root: 0).
int indentAlong(const QList<StoryNode*>& path, const StoryNode* last)
{
    int indent = 0;
    for (qsizetype k = 1; k < path.size(); ++k) {
        const int own = indentOf(path[k]->lead);
        if (own >= 0) indent = own;
    }
    if (last && path.size() > 0 && last != path.first()) {
        const int own = indentOf(last->lead);
        if (own >= 0) indent = own;
    }
    return indent;
}

bool splitParent(const QString& ptr, QString* parent, QString* last)
{
    const qsizetype slash = ptr.lastIndexOf(QLatin1Char('/'));
    if (slash < 0) return false;
    *parent = ptr.left(slash);
    *last = unescapeToken(ptr.mid(slash + 1));
    return true;
}
} // namespace

bool StoryDocument::set(const QString& ptr, const StoryNode& value, QString* error)
{
    QString parentPtr, key, err;
    if (!splitParent(ptr, &parentPtr, &key)) {
        if (error) *error = QObject::tr("'%1': the root cannot be replaced").arg(ptr);
        return false;
    }
    QList<StoryNode*> path;
    StoryNode* parent = find(parentPtr, &path, &err);
    if (!parent || !parent->isContainer()) {
        if (error) *error = parent ? QObject::tr("%1 is not an object or array").arg(parentPtr) : err;
        return false;
    }
    path.append(parent);
    StoryNode fresh = value;
    fresh.edited = true;
    fresh.raw.clear();
    int k = parent->kind == StoryNode::Kind::Object ? parent->indexOf(key)
                                                    : arrayIndex(key, int(parent->children.size()));
    if (k >= 0) {
        fresh.lead = parent->children[k].lead;
        parent->children[k] = fresh;
    } else if (parent->kind == StoryNode::Kind::Object) {
        const int indent = indentAlong(path, nullptr);
        const bool wasEmpty = parent->children.isEmpty();
        fresh.lead = newWhitespace(*parent, indent) + jsonQuote(key) + ": ";
        parent->keys.append(key);
        parent->children.append(fresh);
        if (wasEmpty) parent->tail = fresh.lead.contains('\n') ? '\n' + spaces(indent) : QByteArray(" ");
    } else {
        if (error) *error = QObject::tr("%1: no such item").arg(ptr);
        return false;
    }
    markEdited(path);
    return true;
}

bool StoryDocument::remove(const QString& ptr, QString* error)
{
    QString parentPtr, key, err;
    QList<StoryNode*> path;
    StoryNode* parent = splitParent(ptr, &parentPtr, &key) ? find(parentPtr, &path, &err) : nullptr;
    if (!parent || !parent->isContainer()) {
        if (error) *error = err.isEmpty() ? QObject::tr("%1: nothing to remove").arg(ptr) : err;
        return false;
    }
    path.append(parent);
    const int k = parent->kind == StoryNode::Kind::Object ? parent->indexOf(key)
                                                          : arrayIndex(key, int(parent->children.size()));
    if (k < 0) {
        if (error) *error = QObject::tr("%1: not found").arg(ptr);
        return false;
    }
    if (parent->kind == StoryNode::Kind::Array) {
        // Item leads are positional (the first item of `["a", "b"]` has none): values shift, leads stay.
        for (int j = k; j + 1 < parent->children.size(); ++j) {
            const QByteArray lead = parent->children[j].lead;
            parent->children[j] = parent->children[j + 1];
            parent->children[j].lead = lead;
        }
        parent->children.removeLast();
    } else {
        if (k == 0 && parent->children.size() > 1)
            parent->children[1].lead =
                whitespacePrefix(parent->children[0].lead) + jsonQuote(parent->keys[1]) + ": ";
        parent->keys.removeAt(k);
        parent->children.removeAt(k);
    }
    markEdited(path);
    return true;
}

bool StoryDocument::insert(const QString& arrayPtr, int index, const StoryNode& value, QString* error)
{
    QString err;
    QList<StoryNode*> path;
    StoryNode* arr = find(arrayPtr, &path, &err);
    if (!arr || arr->kind != StoryNode::Kind::Array || index < 0 || index > arr->children.size()) {
        if (error) *error = arr ? QObject::tr("%1: cannot insert at %2").arg(arrayPtr).arg(index) : err;
        return false;
    }
    path.append(arr);
    const int indent = indentAlong(path, nullptr);
    const bool wasEmpty = arr->children.isEmpty();
    StoryNode fresh = value;
    fresh.edited = true;
    fresh.raw.clear();
    // A new position at the end takes a sibling's whitespace; values from `index` on shift one back.
    StoryNode last;
    last.lead = newWhitespace(*arr, indent);
    arr->children.append(last);
    for (qsizetype j = arr->children.size() - 1; j > index; --j) {
        const QByteArray lead = arr->children[j].lead;
        arr->children[j] = arr->children[j - 1];
        arr->children[j].lead = lead;
    }
    fresh.lead = arr->children[index].lead;
    arr->children[index] = fresh;
    if (wasEmpty) arr->tail = fresh.lead.contains('\n') ? '\n' + spaces(indent) : QByteArray();
    markEdited(path);
    return true;
}

bool StoryDocument::move(const QString& arrayPtr, int from, int to, QString* error)
{
    QString err;
    QList<StoryNode*> path;
    StoryNode* arr = find(arrayPtr, &path, &err);
    const int n = arr ? int(arr->children.size()) : 0;
    if (!arr || arr->kind != StoryNode::Kind::Array || from < 0 || from >= n || to < 0 || to >= n) {
        if (error)
            *error = arr ? QObject::tr("%1: cannot move item %2 to %3").arg(arrayPtr).arg(from).arg(to) : err;
        return false;
    }
    if (from == to) return true;
    path.append(arr);
    QList<QByteArray> leads;
    for (const StoryNode& c : arr->children)
        leads.append(c.lead);
    arr->children.move(from, to);
    for (int j = 0; j < n; ++j)
        arr->children[j].lead = leads[j];
    markEdited(path);
    return true;
}

} // namespace chronoscope::story
