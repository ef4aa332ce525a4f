#include "story/storytemplate.h"

#include "diff/jsondiff.h"
#include "json/jsonvalue.h"
#include "json/mergepatch.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTimeZone>

#include <cmath>

namespace chronoscope::story {

namespace {

const char* const kFormatterList =
    "money:CUR, number, percent, date, time, datetime, relative, count, upper, lower";

bool validType(const QString& t)
{
    if (t.isEmpty()) return false;
    for (QChar c : t)
        if (c == u'/' || c == u'(' || c == u')' || c == u'{' || c == u'}' || c == u'|') return false;
    return true;
}

std::optional<Expr> parseExpr(const QString& raw, QString* error)
{
    Expr e;
    e.source = raw;
    QString body = raw.trimmed();
    const qsizetype bar = body.indexOf(u'|');
    if (bar >= 0) {
        auto f = parseFormatters(body.mid(bar + 1), error);
        if (!f) return std::nullopt;
        e.formatters = *f;
        body = body.left(bar).trimmed();
    }
    auto pointerOk = [&](const QString& p) {
        QString why;
        if (!parseJsonPointer(p, &why)) {
            *error = QStringLiteral("'%1' is not a JSON Pointer: %2").arg(p, why);
            return false;
        }
        return true;
    };
    if (body.startsWith(u'/')) {
        if (!pointerOk(body)) return std::nullopt;
        e.kind = Expr::Kind::Pointer;
        e.pointer = body;
        return e;
    }
    static const QStringList eventFields = {QStringLiteral("type"), QStringLiteral("stream"),
                                            QStringLiteral("time"), QStringLiteral("position"),
                                            QStringLiteral("id"),   QStringLiteral("version")};
    if (body.startsWith(QLatin1String("event."))) {
        e.kind = Expr::Kind::EventField;
        e.field = body.mid(6);
        if (!eventFields.contains(e.field)) {
            *error =
                QStringLiteral("unknown event field '%1' (known: %2)").arg(e.field, eventFields.join(u", "));
            return std::nullopt;
        }
        return e;
    }
    if (body == QLatin1String("actor")) {
        e.kind = Expr::Kind::Actor;
        return e;
    }
    if (body == QLatin1String("count")) {
        e.kind = Expr::Kind::Count;
        return e;
    }
    if (body == QLatin1String("duration")) {
        e.kind = Expr::Kind::Duration;
        return e;
    }
    // name(arg)rest
    const qsizetype open = body.indexOf(u'(');
    const qsizetype close = body.indexOf(u')');
    if (open > 0 && close > open) {
        const QString name = body.left(open).trimmed();
        const QString arg = body.mid(open + 1, close - open - 1).trimmed();
        const QString rest = body.mid(close + 1).trimmed();
        if (name == QLatin1String("count") && rest.isEmpty()) {
            if (!validType(arg)) {
                *error = QStringLiteral("count() needs an event type");
                return std::nullopt;
            }
            e.kind = Expr::Kind::Count;
            e.type = arg;
            return e;
        }
        if (name == QLatin1String("kpi") && rest.isEmpty()) {
            if (arg.isEmpty()) {
                *error = QStringLiteral("kpi() needs a KPI id");
                return std::nullopt;
            }
            e.kind = Expr::Kind::Kpi;
            e.kpi = arg;
            return e;
        }
        if (name == QLatin1String("sum") && rest.isEmpty()) {
            const qsizetype slash = arg.indexOf(u'/');
            if (slash <= 0 || !validType(arg.left(slash))) {
                *error = QStringLiteral("sum() takes Type/json/pointer, e.g. sum(PaymentCaptured/captured)");
                return std::nullopt;
            }
            if (!pointerOk(arg.mid(slash))) return std::nullopt;
            e.kind = Expr::Kind::Sum;
            e.type = arg.left(slash);
            e.pointer = arg.mid(slash);
            return e;
        }
        if (name == QLatin1String("first") || name == QLatin1String("last")) {
            if (!validType(arg)) {
                *error = QStringLiteral("%1() needs an event type").arg(name);
                return std::nullopt;
            }
            e.kind = Expr::Kind::FirstLast;
            e.last = name == QLatin1String("last");
            e.type = arg;
            if (rest.startsWith(u'/')) {
                if (!pointerOk(rest)) return std::nullopt;
                e.pointer = rest;
                return e;
            }
            if (rest.startsWith(u'.') && eventFields.contains(rest.mid(1))) {
                e.field = rest.mid(1);
                return e;
            }
            *error = QStringLiteral(
                         "%1(%2) must be followed by .time, .stream, .position, .type, .id, .version or "
                         "a JSON Pointer")
                         .arg(name, arg);
            return std::nullopt;
        }
    }
    *error =
        QStringLiteral("unknown template '{%1}' (known: {/json/pointer}, {event.type}, {event.stream}, "
                       "{event.time}, {event.position}, {actor}, {count}, {count(Type)}, "
                       "{sum(Type/pointer)}, {duration}, {first(Type).time}, {last(Type).time}, {kpi(id)})")
            .arg(raw);
    return std::nullopt;
}

/// Splits a plain decimal text into sign, integer digits and fraction digits. False for exponents etc.
bool splitDecimal(const QByteArray& text, bool* negative, QByteArray* intPart, QByteArray* frac)
{
    QByteArray t = text;
    *negative = t.startsWith('-');
    if (*negative) t = t.mid(1);
    if (t.isEmpty()) return false;
    const qsizetype dot = t.indexOf('.');
    *intPart = dot < 0 ? t : t.left(dot);
    *frac = dot < 0 ? QByteArray() : t.mid(dot + 1);
    if (intPart->isEmpty()) return false;
    for (char c : *intPart)
        if (c < '0' || c > '9') return false;
    for (char c : *frac)
        if (c < '0' || c > '9') return false;
    return true;
}

/// A plain decimal text of any JSON number (expands exponents such as 1E5 exactly).
QByteArray plainDecimal(const QJsonValue& v)
{
    QByteArray t = jsonNumberText(v);
    const qsizetype e = t.indexOf('e') >= 0 ? t.indexOf('e') : t.indexOf('E');
    if (e < 0) return t;
    bool ok = false;
    const int exp = t.mid(e + 1).toInt(&ok);
    if (!ok || std::abs(exp) > 40) return QByteArray::number(jsonNumberToDouble(v), 'f', 6);
    QByteArray mant = t.left(e);
    const bool neg = mant.startsWith('-');
    if (neg) mant = mant.mid(1);
    qsizetype dot = mant.indexOf('.');
    QByteArray digits = mant;
    int scale = 0;
    if (dot >= 0) {
        digits.remove(dot, 1);
        scale = int(mant.size() - dot - 1);
    }
    scale -= exp;
    if (scale <= 0) {
        digits.append(QByteArray(-scale, '0'));
    } else {
        while (digits.size() <= scale)
            digits.prepend('0');
        digits.insert(digits.size() - scale, '.');
    }
    return (neg ? "-" : "") + digits;
}

QString currencySymbol(const QString& code)
{
    static const QHash<QString, QString> symbols = {
        {QStringLiteral("EUR"), QStringLiteral("€")}, {QStringLiteral("USD"), QStringLiteral("$")},
        {QStringLiteral("GBP"), QStringLiteral("£")}, {QStringLiteral("JPY"), QStringLiteral("¥")},
        {QStringLiteral("INR"), QStringLiteral("₹")}, {QStringLiteral("CHF"), QStringLiteral("CHF")},
    };
    return symbols.value(code.toUpper(), code.toUpper());
}

std::optional<TimeMs> asTime(const Value& v)
{
    if (v.kind == Value::Kind::Time) return v.ms;
    if (v.kind != Value::Kind::Json) return std::nullopt;
    if (isJsonString(v.json)) return parseTime(QStringView(jsonStringValue(v.json)));
    if (isJsonNumber(v.json)) return parseTime(QStringView(QString::fromLatin1(jsonNumberText(v.json))));
    return std::nullopt;
}

QDateTime utc(TimeMs t)
{
    return QDateTime::fromMSecsSinceEpoch(t, QTimeZone::utc());
}

QString defaultText(const Value& v, const QLocale& locale)
{
    switch (v.kind) {
    case Value::Kind::None:
        return kMissing;
    case Value::Kind::Time:
        return locale.toString(utc(v.ms), QStringLiteral("d MMM yyyy, HH:mm:ss")) + QStringLiteral(" UTC");
    case Value::Kind::Duration:
        return humanDuration(v.ms);
    case Value::Kind::Json:
        break;
    }
    const QJsonValue& j = v.json;
    if (isJsonNumber(j)) return QString::fromLatin1(jsonNumberText(j));
    if (isJsonString(j)) return jsonStringValue(j);
    if (j.isBool()) return j.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    if (j.isNull()) return QStringLiteral("none");
    QString text = QString::fromUtf8(toJsonText(j));
    if (text.size() > 120) text = text.left(119) + u'…';
    return text;
}

} // namespace

std::optional<QList<Formatter>> parseFormatters(const QString& text, QString* error)
{
    QList<Formatter> out;
    const QStringList names = text.split(u'|');
    for (QString n : names) {
        n = n.trimmed();
        Formatter f;
        if (n.startsWith(QLatin1String("money:"))) {
            f.kind = Formatter::Kind::Money;
            f.arg = n.mid(6).trimmed();
            if (f.arg.size() != 3 ||
                !std::all_of(f.arg.begin(), f.arg.end(), [](QChar c) { return c.isLetter(); })) {
                *error =
                    QStringLiteral("money needs a three-letter currency code (money:EUR), not '%1'").arg(n);
                return std::nullopt;
            }
        } else if (n == QLatin1String("money")) {
            *error = QStringLiteral("money needs a currency code: money:EUR");
            return std::nullopt;
        } else if (n == QLatin1String("number")) {
            f.kind = Formatter::Kind::Number;
        } else if (n == QLatin1String("percent")) {
            f.kind = Formatter::Kind::Percent;
        } else if (n == QLatin1String("date")) {
            f.kind = Formatter::Kind::Date;
        } else if (n == QLatin1String("time")) {
            f.kind = Formatter::Kind::Time;
        } else if (n == QLatin1String("datetime")) {
            f.kind = Formatter::Kind::DateTime;
        } else if (n == QLatin1String("relative")) {
            f.kind = Formatter::Kind::Relative;
        } else if (n == QLatin1String("count")) {
            f.kind = Formatter::Kind::Count;
        } else if (n == QLatin1String("upper")) {
            f.kind = Formatter::Kind::Upper;
        } else if (n == QLatin1String("lower")) {
            f.kind = Formatter::Kind::Lower;
        } else {
            *error =
                QStringLiteral("unknown formatter '%1' (known: %2)").arg(n, QLatin1String(kFormatterList));
            return std::nullopt;
        }
        out << f;
    }
    return out;
}

std::optional<Template> Template::parse(const QString& text, QString* error)
{
    Template t;
    QString literal;
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = text[i];
        if (c == u'{' && i + 1 < n && text[i + 1] == u'{') {
            literal += u'{';
            ++i;
            continue;
        }
        if (c == u'}' && i + 1 < n && text[i + 1] == u'}') {
            literal += u'}';
            ++i;
            continue;
        }
        if (c == u'}') {
            *error =
                QStringLiteral("character %1: '}' without a '{' before it (write '}}' for a literal brace)")
                    .arg(i + 1);
            return std::nullopt;
        }
        if (c != u'{') {
            literal += c;
            continue;
        }
        qsizetype j = i + 1;
        while (j < n && text[j] != u'}' && text[j] != u'{')
            ++j;
        if (j >= n || text[j] == u'{') {
            *error = QStringLiteral("character %1: '{' is never closed (write '{{' for a literal brace)")
                         .arg(i + 1);
            return std::nullopt;
        }
        QString why;
        auto e = parseExpr(text.mid(i + 1, j - i - 1), &why);
        if (!e) {
            *error = QStringLiteral("character %1: %2").arg(i + 1).arg(why);
            return std::nullopt;
        }
        if (!literal.isEmpty()) {
            t.m_parts.append(Part{literal, false, {}});
            literal.clear();
        }
        t.m_parts.append(Part{{}, true, *e});
        i = j;
    }
    if (!literal.isEmpty()) t.m_parts.append(Part{literal, false, {}});
    return t;
}

QStringList Template::kpiIds() const
{
    QStringList ids;
    for (const Part& p : m_parts)
        if (p.isExpr && p.expr.kind == Expr::Kind::Kpi) ids << p.expr.kpi;
    return ids;
}

QString humanDuration(qint64 ms)
{
    if (ms < 0) ms = -ms;
    if (ms < 1000) return QStringLiteral("%1 ms").arg(ms);
    const qint64 s = ms / 1000;
    if (s < 60) return QStringLiteral("%1 s").arg(s);
    const qint64 m = s / 60;
    if (m < 60)
        return s % 60 && m < 10 ? QStringLiteral("%1 min %2 s").arg(m).arg(s % 60)
                                : QStringLiteral("%1 min").arg(m);
    const qint64 h = m / 60;
    if (h < 48)
        return m % 60 ? QStringLiteral("%1 h %2 min").arg(h).arg(m % 60) : QStringLiteral("%1 h").arg(h);
    const qint64 d = h / 24;
    return h % 24 ? QStringLiteral("%1 days %2 h").arg(d).arg(h % 24) : QStringLiteral("%1 days").arg(d);
}

QString localeDecimal(const QByteArray& text, const QLocale& locale, int minFraction)
{
    bool neg = false;
    QByteArray ip, frac;
    if (!splitDecimal(text, &neg, &ip, &frac)) return {};
    while (frac.size() < minFraction)
        frac.append('0');
    // Strip leading zeros of the integer part but keep one.
    while (ip.size() > 1 && ip.startsWith('0'))
        ip.remove(0, 1);
    QString grouped;
    const QString group = locale.groupSeparator();
    const bool grouping = !(locale.numberOptions() & QLocale::OmitGroupSeparator);
    const qsizetype len = ip.size();
    for (qsizetype i = 0; i < len; ++i) {
        if (grouping && i > 0 && (len - i) % 3 == 0) grouped += group;
        grouped += QChar(locale.zeroDigit().at(0).unicode() + (ip[i] - '0'));
    }
    QString out = (neg ? locale.negativeSign() : QString()) + grouped;
    if (!frac.isEmpty()) {
        out += locale.decimalPoint();
        for (char c : frac)
            out += QChar(locale.zeroDigit().at(0).unicode() + (c - '0'));
    }
    return out;
}

QString formatValue(const Value& value, const QList<Formatter>& formatters, const QLocale& locale,
                    TimeMs relativeTo)
{
    if (value.kind == Value::Kind::None) return kMissing;
    if (formatters.isEmpty()) return defaultText(value, locale);
    Value v = value;
    QString text;
    bool haveText = false;
    for (const Formatter& f : formatters) {
        switch (f.kind) {
        case Formatter::Kind::Money:
        case Formatter::Kind::Number:
        case Formatter::Kind::Percent: {
            if (haveText || v.kind != Value::Kind::Json || !isJsonNumber(v.json)) {
                // A number written as a string ("12.50") is formatted too.
                if (!haveText && v.kind == Value::Kind::Json && isJsonString(v.json)) {
                    if (auto n = makeJsonNumber(jsonStringValue(v.json).trimmed().toUtf8())) {
                        v.json = *n;
                    } else {
                        return kMissing;
                    }
                } else {
                    return kMissing;
                }
            }
            QByteArray dec = plainDecimal(v.json);
            if (f.kind == Formatter::Kind::Percent) {
                bool neg = false;
                QByteArray ip, frac;
                if (!splitDecimal(dec, &neg, &ip, &frac)) return kMissing;
                while (frac.size() < 2)
                    frac.append('0');
                ip += frac.left(2);
                frac = frac.mid(2);
                dec = (neg ? "-" : "") + ip + (frac.isEmpty() ? QByteArray() : "." + frac);
                text = localeDecimal(dec, locale) + locale.percent();
            } else if (f.kind == Formatter::Kind::Money) {
                const bool neg = dec.startsWith('-');
                const QString number = localeDecimal(neg ? dec.mid(1) : dec, locale, 2);
                // Place the number where the locale puts it (before or after the symbol).
                const QString symbol = currencySymbol(f.arg);
                QString pattern = locale.toCurrencyString(1.0, symbol, 2);
                const QString one = localeDecimal("1.00", locale, 2);
                const qsizetype at = pattern.indexOf(one);
                text = at >= 0 ? pattern.replace(at, one.size(), number) : symbol + u' ' + number;
                if (neg) text = locale.negativeSign() + text;
            } else {
                text = localeDecimal(dec, locale);
            }
            if (text.isEmpty()) return kMissing;
            haveText = true;
            break;
        }
        case Formatter::Kind::Count: {
            if (haveText) break;
            if (v.kind == Value::Kind::Json && v.json.isArray())
                text = locale.toString(qint64(v.json.toArray().size()));
            else if (v.kind == Value::Kind::Json && v.json.isObject())
                text = locale.toString(qint64(v.json.toObject().size()));
            else if (v.kind == Value::Kind::Json && isJsonNumber(v.json))
                text = localeDecimal(plainDecimal(v.json), locale);
            else
                return kMissing;
            if (text.isEmpty()) return kMissing;
            haveText = true;
            break;
        }
        case Formatter::Kind::Date:
        case Formatter::Kind::Time:
        case Formatter::Kind::DateTime: {
            if (haveText) break;
            const auto t = asTime(v);
            if (!t) return kMissing;
            const QDateTime dt = utc(*t);
            if (f.kind == Formatter::Kind::Date) {
                // The locale's long date without the weekday ("3 March 2026", "3. März 2026", "March 3,
                // 2026").
                QString format = locale.dateFormat(QLocale::LongFormat);
                static const QRegularExpression weekday(
                    QStringLiteral("^\\s*dddd[,.]?\\s*|[,.]?\\s*dddd\\s*$"));
                format.remove(weekday);
                text = locale.toString(dt.date(), format);
            } else if (f.kind == Formatter::Kind::Time)
                text = locale.toString(dt.time(), QStringLiteral("HH:mm:ss"));
            else
                text = locale.toString(dt, QStringLiteral("d MMM yyyy, HH:mm:ss")) + QStringLiteral(" UTC");
            haveText = true;
            break;
        }
        case Formatter::Kind::Relative: {
            if (haveText) break;
            if (v.kind == Value::Kind::Duration) {
                text = humanDuration(v.ms);
            } else {
                const auto t = asTime(v);
                if (!t || relativeTo == kNoTime) return kMissing;
                const qint64 d = *t - relativeTo;
                // Time since the chapter began: "41 min" ("41 min before" for a time before it).
                text = d >= 0 ? humanDuration(d) : humanDuration(d) + QStringLiteral(" before");
            }
            haveText = true;
            break;
        }
        case Formatter::Kind::Upper:
        case Formatter::Kind::Lower: {
            if (!haveText) text = defaultText(v, locale);
            text = f.kind == Formatter::Kind::Upper ? locale.toUpper(text) : locale.toLower(text);
            haveText = true;
            break;
        }
        }
    }
    return haveText ? text : defaultText(v, locale);
}

Value evaluate(const Expr& e, const TemplateContext& ctx)
{
    auto eventField = [&](const Event& ev, const QString& field) -> Value {
        if (field == QLatin1String("type")) return Value::ofJson(QJsonValue(ev.type));
        if (field == QLatin1String("stream")) return Value::ofJson(QJsonValue(ev.stream));
        if (field == QLatin1String("time"))
            return ev.time == kNoTime ? Value::none() : Value::ofTime(ev.time);
        if (field == QLatin1String("position")) return Value::ofJson(QJsonValue(ev.position));
        if (field == QLatin1String("version")) return Value::ofJson(QJsonValue(ev.version));
        if (field == QLatin1String("id"))
            return ev.id.isEmpty() ? Value::none() : Value::ofJson(QJsonValue(ev.id));
        return Value::none();
    };
    auto at = [](const QJsonValue& doc, const QString& pointer) -> Value {
        if (auto v = valueAtPointer(doc, pointer); v && !v->isUndefined()) return Value::ofJson(*v);
        return Value::none();
    };
    switch (e.kind) {
    case Expr::Kind::Pointer:
        return ctx.event ? at(ctx.data, e.pointer) : Value::none();
    case Expr::Kind::EventField:
        return ctx.event ? eventField(*ctx.event, e.field) : Value::none();
    case Expr::Kind::Actor:
        return ctx.actor.isEmpty() ? Value::none() : Value::ofJson(QJsonValue(ctx.actor));
    case Expr::Kind::Count: {
        if (!ctx.beats) return Value::none();
        qint64 n = 0;
        for (const Event& b : *ctx.beats)
            if (e.type.isEmpty() || b.type == e.type) ++n;
        return Value::ofJson(QJsonValue(n));
    }
    case Expr::Kind::Duration: {
        if (!ctx.beats || ctx.beats->isEmpty() || ctx.beats->first().time == kNoTime ||
            ctx.beats->last().time == kNoTime)
            return Value::none();
        return Value::ofDuration(ctx.beats->last().time - ctx.beats->first().time);
    }
    case Expr::Kind::Sum: {
        if (!ctx.beats) return Value::none();
        double sum = 0;
        int fraction = 0;
        bool any = false;
        for (const Event& b : *ctx.beats) {
            if (b.type != e.type) continue;
            const QJsonValue data = ctx.present ? ctx.present(b) : parseJsonValue(b.data);
            const auto v = valueAtPointer(data, e.pointer);
            if (!v || !isJsonNumber(*v)) continue;
            any = true;
            sum += jsonNumberToDouble(*v);
            const QByteArray t = plainDecimal(*v);
            const qsizetype dot = t.indexOf('.');
            if (dot >= 0) fraction = std::max<int>(fraction, int(t.size() - dot - 1));
        }
        if (!any) return Value::none();
        // The sum has as many decimals as the most precise term: 0.1 + 0.2 shows as 0.3.
        const QByteArray text = QByteArray::number(sum, 'f', std::min(fraction, 12));
        if (auto n = makeJsonNumber(text)) return Value::ofJson(*n);
        return Value::none();
    }
    case Expr::Kind::FirstLast: {
        if (!ctx.beats) return Value::none();
        const Event* found = nullptr;
        if (e.last) {
            for (auto it = ctx.beats->crbegin(); it != ctx.beats->crend() && !found; ++it)
                if (it->type == e.type) found = &*it;
        } else {
            for (const Event& b : *ctx.beats)
                if (b.type == e.type) {
                    found = &b;
                    break;
                }
        }
        if (!found) return Value::none();
        if (!e.pointer.isEmpty())
            return at(ctx.present ? ctx.present(*found) : parseJsonValue(found->data), e.pointer);
        return eventField(*found, e.field);
    }
    case Expr::Kind::Kpi:
        return ctx.kpi ? ctx.kpi(e.kpi, nullptr) : Value::none();
    }
    return Value::none();
}

QString renderTemplate(const Template& t, const TemplateContext& ctx, QStringList* misses)
{
    QString out;
    for (const Template::Part& p : t.parts()) {
        if (!p.isExpr) {
            out += p.literal;
            continue;
        }
        Value v;
        QList<Formatter> formatters = p.expr.formatters;
        if (p.expr.kind == Expr::Kind::Kpi && ctx.kpi) {
            QString format;
            v = ctx.kpi(p.expr.kpi, &format);
            if (formatters.isEmpty() && !format.isEmpty()) {
                QString ignored;
                if (auto f = parseFormatters(format, &ignored)) formatters = *f;
            }
        } else {
            v = evaluate(p.expr, ctx);
            if (formatters.isEmpty() && ctx.fieldFormat &&
                (p.expr.kind == Expr::Kind::Pointer || p.expr.kind == Expr::Kind::Sum ||
                 (p.expr.kind == Expr::Kind::FirstLast && !p.expr.pointer.isEmpty()))) {
                if (auto tokens = parseJsonPointer(p.expr.pointer)) {
                    const QString format = ctx.fieldFormat(*tokens);
                    QString ignored;
                    if (!format.isEmpty())
                        if (auto f = parseFormatters(format, &ignored)) formatters = *f;
                }
            }
        }
        const QString text = formatValue(v, formatters, ctx.locale, ctx.chapterStart);
        if (text == kMissing && misses) *misses << QStringLiteral("{%1}").arg(p.expr.source);
        out += text;
    }
    return out;
}

} // namespace chronoscope::story
