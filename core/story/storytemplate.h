#pragma once
// The template language of captions, notes and `say` sentences: `{…}` expressions that read event
// fields, chapter aggregates and KPIs, with formatters after `|`. Parsing checks the syntax (balanced
// braces, known names and formatters); evaluation never runs JavaScript and never fails: an expression
// that finds nothing renders as "—" and is reported to the caller (for `story lint`).

#include "model/event.h"

#include <QJsonValue>
#include <QList>
#include <QLocale>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace chronoscope::story {

struct Formatter
{
    enum class Kind { Money, Number, Percent, Date, Time, DateTime, Relative, Count, Upper, Lower };
    Kind kind = Kind::Number;
    QString arg; ///< the currency of money:CUR
};

/// A formatter chain "money:EUR|upper". nullopt with *error for an unknown formatter.
std::optional<QList<Formatter>> parseFormatters(const QString& text, QString* error);

struct Expr
{
    enum class Kind {
        Pointer,    ///< {/a/b}: the current event's data
        EventField, ///< {event.type|stream|time|position|id|version}
        Actor,      ///< {actor}
        Count,      ///< {count} / {count(Type)}
        Sum,        ///< {sum(Type/ptr)}
        Duration,   ///< {duration}
        FirstLast,  ///< {first(Type).time} / {last(Type)/ptr} …
        Kpi,        ///< {kpi(id)}
    };
    Kind kind = Kind::Pointer;
    QString type;      ///< Count/Sum/FirstLast ("" : any type for Count)
    QString pointer;   ///< Pointer/Sum/FirstLast
    QString field;     ///< EventField/FirstLast: type, stream, time, position, id, version
    bool last = false; ///< FirstLast
    QString kpi;
    QList<Formatter> formatters;
    QString source; ///< the text between the braces
};

class Template
{
public:
    struct Part
    {
        QString literal; ///< used when !isExpr
        bool isExpr = false;
        Expr expr;
    };
    /// Parses text with `{…}` expressions; `{{` and `}}` are literal braces. nullopt with *error
    /// ("character N: …") on an unbalanced brace, an unknown name or an unknown formatter.
    static std::optional<Template> parse(const QString& text, QString* error);

    const QList<Part>& parts() const { return m_parts; }
    bool isEmpty() const { return m_parts.isEmpty(); }
    QStringList kpiIds() const;

private:
    QList<Part> m_parts;
};

/// A template value before formatting.
struct Value
{
    enum class Kind { None, Json, Time, Duration };
    Kind kind = Kind::None;
    QJsonValue json;
    qint64 ms = 0; ///< Time: epoch ms; Duration: ms

    static Value none() { return {}; }
    static Value ofJson(const QJsonValue& v) { return {Kind::Json, v, 0}; }
    static Value ofTime(TimeMs t) { return {Kind::Time, {}, t}; }
    static Value ofDuration(qint64 ms) { return {Kind::Duration, {}, ms}; }
};

/// What an expression reads. Beats are the chapter's events in position order; `event` the current one.
struct TemplateContext
{
    const Event* event = nullptr;
    QJsonValue data; ///< the current event's data as presented (hidden removed, redacted)
    QString actor;
    const QList<Event>* beats = nullptr;
    std::function<QJsonValue(const Event&)> present;               ///< presented data of any beat
    std::function<Value(const QString& kpi, QString* format)> kpi; ///< a KPI's value at the current beat
    std::function<QString(const QStringList& tokens)> fieldFormat; ///< the glossary's format for a field
    QLocale locale;
    TimeMs chapterStart = kNoTime;
};

/// Renders the template. Each expression that found nothing is appended to *misses (its source).
QString renderTemplate(const Template& t, const TemplateContext& ctx, QStringList* misses = nullptr);
/// One expression's value (unformatted).
Value evaluate(const Expr& e, const TemplateContext& ctx);
/// Formats a value: the formatters in order, or the default text (numbers as stored).
QString formatValue(const Value& v, const QList<Formatter>& formatters, const QLocale& locale,
                    TimeMs relativeTo = kNoTime);
/// "17 min", "2 h 5 min", "45 s", "850 ms".
QString humanDuration(qint64 ms);
/// A decimal number's text with the locale's separators, digits kept as written ("1234.50" ->
/// "1,234.50"); minFraction pads the fraction with zeros. Empty when the text is not a plain decimal.
QString localeDecimal(const QByteArray& text, const QLocale& locale, int minFraction = 0);

inline const QString kMissing = QStringLiteral("—");

} // namespace chronoscope::story
