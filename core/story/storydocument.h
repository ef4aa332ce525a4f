#pragma once
// A story file as text to edit (the app's Story dock): a JSON tree that remembers the bytes it was read
// from. Saving without edits gives the same bytes; an edit rewrites only the value it changes (and the
// separators around an inserted or removed member), so a reviewer's diff shows only what was edited and
// the author's alignment, inline objects and key order stay. New values are written with two-space
// indentation, keys in the order given, short objects and arrays of scalars on one line (the style of the
// shipped story). Numbers keep their text. No JavaScript, no store: validation is parseStory's job.

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace chronoscope::story {

class StoryNode
{
public:
    enum class Kind { Object, Array, String, Number, Bool, Null };

    static StoryNode string(const QString& s);
    static StoryNode number(qint64 n);
    /// Members in this order (the order they are written in).
    static StoryNode object(const QList<QPair<QString, StoryNode>>& members);
    static StoryNode array(const QList<StoryNode>& items);

    Kind kind = Kind::Null;
    QString text;              ///< String: the decoded text; Number/Bool/Null: the literal as written
    QList<QString> keys;       ///< Object: member names, in order
    QList<StoryNode> children; ///< Object members (parallel to keys) or Array items
    // Where the node came from (empty for new or edited nodes). `lead` is the text before the value inside
    // its parent (whitespace, and for a member its key and colon); `tail` is the text before the closing
    // bracket; `raw` the value's exact bytes while it is unedited.
    QByteArray lead, tail, raw;
    bool edited = true;

    bool isContainer() const { return kind == Kind::Object || kind == Kind::Array; }
    int indexOf(const QString& key) const { return int(keys.indexOf(key)); }
};

class StoryDocument
{
public:
    /// False with *error (line and column) when the text is not JSON or too deeply nested (64 levels).
    bool parse(const QByteArray& text, QString* error);
    /// The document as text: the original bytes where nothing was edited.
    QByteArray text() const;
    bool isNull() const { return !m_root; }

    /// The node at a JSON Pointer ("" : the root), or null.
    const StoryNode* at(const QString& pointer) const;
    QString stringAt(const QString& pointer) const;
    /// Members of an object / items of an array at the pointer (0 when none).
    int sizeAt(const QString& pointer) const;
    QStringList keysAt(const QString& pointer) const;

    /// Sets (or adds, at the end of its object) the value at `pointer`; the parent must exist and be an
    /// object or (for an existing index) an array. False with *error otherwise.
    bool set(const QString& pointer, const StoryNode& value, QString* error = nullptr);
    bool setString(const QString& pointer, const QString& value, QString* error = nullptr)
    {
        return set(pointer, StoryNode::string(value), error);
    }
    /// Removes an object member or array item.
    bool remove(const QString& pointer, QString* error = nullptr);
    /// Inserts into the array at `arrayPointer` before `index` (index == size: at the end).
    bool insert(const QString& arrayPointer, int index, const StoryNode& value, QString* error = nullptr);
    /// Moves an array item; the items keep their own text (a reorder diff shows moved lines only).
    bool move(const QString& arrayPointer, int from, int to, QString* error = nullptr);

    /// "/chapters/0" from ("chapters", "0"), escaping ~ and /.
    static QString pointer(const QStringList& tokens);

private:
    StoryNode* find(const QString& pointer, QList<StoryNode*>* path, QString* error);

    std::shared_ptr<StoryNode> m_root;
    QByteArray m_before, m_after; ///< whitespace around the root value
};

/// A JSON string literal: quotes, backslash escapes for " \ and control characters, UTF-8 otherwise.
QByteArray jsonQuote(const QString& s);

} // namespace chronoscope::story
