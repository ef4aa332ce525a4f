#pragma once
// Syntax colours for projection scripts: keywords, the projection API, strings, numbers, comments.

#include <QRegularExpression>
#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace chronoscope {

class JsHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    explicit JsHighlighter(QTextDocument* document);

protected:
    void highlightBlock(const QString& text) override;

private:
    struct Rule
    {
        QRegularExpression pattern;
        QTextCharFormat format;
    };
    QList<Rule> m_rules;
    QTextCharFormat m_comment;
};

} // namespace chronoscope
