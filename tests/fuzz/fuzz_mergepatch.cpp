// Harness for core/diff: parseJsonValue, applyMergePatch (RFC 7386), diffJson + applyJsonPatch (RFC 6902)
// and JSON Pointers (RFC 6901). The input is up to three lines: a document A, a document B, and a patch C.
// Properties:
// - toJsonText/parseJsonValue round-trips a parsed value;
// - applying diffJson(A, B) to A gives B exactly (the contract in jsondiff.h), and every path it names
//   parses as a pointer and prints back the same;
// - merge patching is RFC 7386: a non-object patch replaces the target, patching twice changes nothing
//   more, every null member of the patch is gone afterwards, and the diff from A to the result applies back;
// - applyJsonPatch(A, C) is all or nothing: on failure A is unchanged and the error names an operation.
#include "fuzz_support.h"

#include "diff/jsondiff.h"
#include "json/mergepatch.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace chronoscope;

namespace {

QByteArray show(const QJsonValue& v)
{
    return toJsonText(v).left(300);
}

void checkDiffApplies(const QJsonValue& from, const QJsonValue& to, const char* what)
{
    const QJsonArray patch = diffJson(from, to);
    QJsonValue doc = from;
    QString error;
    FUZZ_CHECK(applyJsonPatch(doc, patch, &error), "%s: the diff does not apply (%s)\n  patch %s", what,
               qPrintable(error), QJsonDocument(patch).toJson(QJsonDocument::Compact).left(300).constData());
    FUZZ_CHECK(doc == to, "%s: applying the diff gives %s, expected %s", what, show(doc).constData(),
               show(to).constData());
    if (from == to) FUZZ_CHECK(patch.isEmpty(), "%s: equal values give a non-empty diff", what);
    for (const QJsonValue& op : patch) {
        const QString path = op.toObject().value(QStringLiteral("path")).toString();
        QString perr;
        const auto tokens = parseJsonPointer(path, &perr);
        FUZZ_CHECK(tokens.has_value(), "%s: diff path %s does not parse (%s)", what, qPrintable(path),
                   qPrintable(perr));
        FUZZ_CHECK(makeJsonPointer(*tokens) == path, "%s: pointer %s does not print back", what,
                   qPrintable(path));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray in = fuzz::bytes(data, size);
    const auto [textA, rest] = fuzz::split(in, '\n');
    const auto [textB, textC] = fuzz::split(rest, '\n');

    const QJsonValue a = parseJsonValue(textA);
    const QJsonValue b = parseJsonValue(textB);
    for (const QJsonValue& v : {a, b}) {
        const QJsonValue again = parseJsonValue(toJsonText(v));
        FUZZ_CHECK(again == v, "parse(text(v)) != v for %s", show(v).constData());
    }

    checkDiffApplies(a, b, "A -> B");

    QJsonValue merged = a;
    applyMergePatch(merged, b);
    if (!b.isObject()) {
        FUZZ_CHECK(merged == b, "a non-object patch did not replace the target");
    } else {
        FUZZ_CHECK(merged.isObject(), "an object patch gave a non-object");
        const QJsonObject patch = b.toObject();
        const QJsonObject result = merged.toObject();
        for (auto it = patch.constBegin(); it != patch.constEnd(); ++it) {
            if (it.value().isNull())
                FUZZ_CHECK(!result.contains(it.key()), "member %s set to null is still there",
                           qPrintable(it.key()));
            else
                FUZZ_CHECK(result.contains(it.key()), "member %s of the patch is missing",
                           qPrintable(it.key()));
        }
    }
    QJsonValue twice = merged;
    applyMergePatch(twice, b);
    FUZZ_CHECK(twice == merged, "merge patch is not idempotent: %s then %s", show(merged).constData(),
               show(twice).constData());
    checkDiffApplies(a, merged, "A -> merge(A, B)");

    // An arbitrary patch: all or nothing.
    const QJsonValue c = parseJsonValue(textC);
    if (c.isArray()) {
        QJsonValue doc = a;
        QString error;
        if (!applyJsonPatch(doc, c.toArray(), &error)) {
            FUZZ_CHECK(doc == a, "a failed patch changed the document");
            FUZZ_CHECK(!error.isEmpty(), "a failed patch gave no error");
        } else {
            checkDiffApplies(a, doc, "A -> patch(A, C)");
        }
    }

    // Pointers from the input: parse, print back, look up.
    const QString pointer = QString::fromUtf8(textC);
    if (const auto tokens = parseJsonPointer(pointer)) {
        FUZZ_CHECK(makeJsonPointer(*tokens) == pointer, "pointer does not print back");
        const auto byTokens = valueAtPointer(b, *tokens);
        const auto byText = valueAtPointer(b, pointer);
        FUZZ_CHECK(byTokens == byText, "valueAtPointer by tokens and by text differ");
    }
    return 0;
}
