#include "projections/jshighlighter.h"

#include <QPalette>

namespace chronoscope {

JsHighlighter::JsHighlighter(QTextDocument* document) : QSyntaxHighlighter(document)
{
    auto format = [](const QColor& color, bool bold = false) {
        QTextCharFormat f;
        f.setForeground(color);
        if (bold)
            f.setFontWeight(QFont::Bold);
        return f;
    };
    m_rules.append({QRegularExpression(QStringLiteral(
                        R"(\b(var|let|const|function|return|if|else|for|while|do|switch|case|break|continue|new|delete|typeof|instanceof|in|of|this|null|undefined|true|false|throw|try|catch|finally)\b)")),
                    format(QColor(0x8e, 0x44, 0xad), true)});
    m_rules.append({QRegularExpression(QStringLiteral(
                        R"(\b(fromAll|fromStream|fromStreams|fromCategory|fromCategories|fromStreamsMatching|foreachStream|partitionBy|when|outputState|outputTo|transformBy|filterBy|options|emit|linkTo|copyTo|linkStreamTo|log)\b)")),
                    format(QColor(0x1f, 0x6f, 0xb2), true)});
    m_rules.append({QRegularExpression(QStringLiteral(R"(\$(init|initShared|any|created|deleted)\b)")),
                    format(QColor(0xc0, 0x39, 0x2b), true)});
    m_rules.append({QRegularExpression(QStringLiteral(R"(\b\d+(\.\d+)?\b)")), format(QColor(0x16, 0x8a, 0x5a))});
    m_rules.append({QRegularExpression(QStringLiteral(R"('([^'\\]|\\.)*'|"([^"\\]|\\.)*")")),
                    format(QColor(0xb3, 0x6b, 0x00))});
    m_comment = format(QColor(0x7f, 0x8c, 0x8d));
    m_comment.setFontItalic(true);
}

void JsHighlighter::highlightBlock(const QString& text)
{
    for (const Rule& r : m_rules) {
        auto it = r.pattern.globalMatch(text);
        while (it.hasNext()) {
            const auto m = it.next();
            setFormat(int(m.capturedStart()), int(m.capturedLength()), r.format);
        }
    }
    // Block comments may span lines: state 1 means "inside /* */ at the end of the previous line".
    int start = previousBlockState() == 1 ? 0 : -1;
    int from = 0;
    setCurrentBlockState(0);
    for (;;) {
        if (start < 0) {
            const int line = int(text.indexOf(QLatin1String("//"), from));
            const int block = int(text.indexOf(QLatin1String("/*"), from));
            if (line >= 0 && (block < 0 || line < block)) {
                setFormat(line, int(text.size()) - line, m_comment);
                return;
            }
            if (block < 0)
                return;
            start = block;
            from = block + 2;
        }
        const int end = int(text.indexOf(QLatin1String("*/"), from));
        if (end < 0) {
            setFormat(start, int(text.size()) - start, m_comment);
            setCurrentBlockState(1);
            return;
        }
        setFormat(start, end + 2 - start, m_comment);
        from = end + 2;
        start = -1;
    }
}

} // namespace chronoscope
