#pragma once
// Shell completion for chronoscope-cli (and the app's --stream): the hidden `complete` command that the bash
// and zsh scripts in packaging/completion call on Tab (docs/packaging.md "Completion").
//
//   chronoscope-cli complete line WORD... CURRENT   what to offer for CURRENT after the words before it
//   chronoscope-cli complete streams URI [PREFIX]   stream names of the store that start with PREFIX
//   chronoscope-cli complete types URI [PREFIX]     event type names likewise
//
// `line` prints a directive line, then candidates one per line:
//   words          the candidates follow (commands, options, stream or type names)
//   files [GLOB]   let the shell complete file names (only those matching GLOB, and folders)
//   none           nothing to offer (a number, a time, a JSON Pointer...)
// Nothing here writes a file, opens a network connection or imports: a Tab must stay instant and harmless.

#include "commands.h"

#include <QStringList>

namespace chronoscope::cli {

/// --help and --pretty, accepted by every command (defined in main.cpp, listed in every command's help).
const QList<OptionSpec>& globalOptions();

/// Most names printed for one Tab: beyond it the first ones and the last one (so the common prefix stays right).
inline constexpr int kMaxCompletions = 500;

/// What `complete line` prints, as lines (first the directive). `words` excludes the program name; the last
/// word is the one being completed (may be empty).
QStringList completeLine(const QStringList& words);

/// `chronoscope-cli complete ...` (args after "complete"). Returns the exit code.
int runComplete(const QStringList& args);

/// A word as the shell will pass it: quotes removed, backslash escapes resolved, a leading ~/ expanded. An
/// unterminated quote runs to the end (the user is still typing inside it).
QString shellUnquote(const QString& word);

} // namespace chronoscope::cli
