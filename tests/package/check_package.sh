#!/usr/bin/env bash
# The Debian package as a user gets it, without root: cpack into a scratch folder, dpkg-deb -x, then check
# the control fields, the file list, the RUNPATHs and SONAMEs, run the unpacked binaries (no
# LD_LIBRARY_PATH: the $ORIGIN RUNPATH must find the private libraries), open the unpacked demo store, and
# validate the desktop entry, the AppStream metainfo, the MIME types (detected by name and by content) and
# the man pages. docs/packaging.md "Tests".
#
#   check_package.sh BUILD_DIR VERSION APP_ID PRIVATE_LIBDIR
set -euo pipefail
BUILD=$1 VERSION=$2 APPID=$3 LIBDIR=$4
SOURCE=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# ---- build the package -------------------------------------------------------------------------------------
cd "$BUILD"
if ! cpack -G DEB -B "$scratch/out" -D CPACK_DEBIAN_COMPRESSION_TYPE=gzip >"$scratch/cpack.log" 2>&1; then
    cat "$scratch/cpack.log" >&2
    echo "FAIL: cpack" >&2
    exit 1
fi
arch=$(dpkg --print-architecture)
deb="$scratch/out/chronoscope_${VERSION}_${arch}.deb"
[[ -f $deb ]] || { ls "$scratch/out" >&2; echo "FAIL: no $deb" >&2; exit 1; }
ok "cpack made $(basename "$deb")"

# ---- control fields ----------------------------------------------------------------------------------------
[[ $(dpkg-deb -f "$deb" Package) == chronoscope ]] || fail "Package field"
[[ $(dpkg-deb -f "$deb" Version) == "$VERSION" ]] || fail "Version field $(dpkg-deb -f "$deb" Version) != $VERSION"
dpkg --validate-version "$VERSION" || fail "$VERSION is not a valid Debian version"
depends=$(dpkg-deb -f "$deb" Depends)
# dpkg-shlibdeps ran: the libraries the binaries link come with versions; Qt's plugins are added by hand.
for dep in 'libqt6core6 (>=' 'libqt6widgets6 (>=' 'libsqlite3-0 (>=' 'libc6 (>=' 'qt6-qpa-plugins'; do
    [[ $depends == *"$dep"* ]] || fail "Depends lacks '$dep': $depends"
done
[[ $depends != *chronoscope* ]] || fail "Depends names the package's own private libraries: $depends"
ok "control: Version $VERSION, Depends from dpkg-shlibdeps"

# ---- file list ---------------------------------------------------------------------------------------------
root="$scratch/root"
dpkg-deb -x "$deb" "$root"
(cd "$root" && find . -mindepth 1 ! -type d | sed 's|^\./||' | sort) >"$scratch/files"
{
    printf '%s\n' usr/bin/chronoscope usr/bin/chronoscope-cli \
        "usr/share/applications/$APPID.desktop" \
        usr/share/bash-completion/completions/chronoscope usr/share/bash-completion/completions/chronoscope-cli \
        usr/share/chronoscope/demo.chronoscope \
        usr/share/doc/chronoscope/changelog.gz usr/share/doc/chronoscope/copyright \
        "usr/share/icons/hicolor/256x256/apps/$APPID.png" "usr/share/icons/hicolor/scalable/apps/$APPID.svg" \
        usr/share/man/man1/chronoscope-cli.1.gz usr/share/man/man1/chronoscope.1.gz \
        "usr/share/metainfo/$APPID.metainfo.xml" "usr/share/mime/packages/$APPID.xml" \
        usr/share/zsh/vendor-completions/_chronoscope
    (cd "$SOURCE/resources/projections" && ls -1 -- *.js) | sed 's|^|usr/share/chronoscope/projections/|'
    (cd "$SOURCE/resources" && find . -name '*.chronostory.json' | sed 's|^\./|usr/share/chronoscope/|')
} | sort >"$scratch/expected"
missing=$(comm -23 "$scratch/expected" "$scratch/files")
[[ -z $missing ]] || fail "missing from the package: $missing"
# Anything else must be one of the project's private libraries (their names follow the build's targets).
extra=$(comm -13 "$scratch/expected" "$scratch/files" | grep -Ev "^usr/$LIBDIR/libchronoscope[a-z_]*\.so\.[0-9]+\.[0-9]+(\.[0-9]+)?$" || true)
[[ -z $extra ]] || fail "unexpected files in the package: $extra"
libs=$(grep -E "^usr/$LIBDIR/libchronoscope[a-z_]*\.so\.[0-9]+\.[0-9]+\.[0-9]+$" "$scratch/files" || true)
[[ -n $libs ]] || fail "no private library in usr/$LIBDIR"
ok "file list: $(wc -l <"$scratch/files") files, libraries: $(echo $libs | xargs -n1 basename | tr '\n' ' ')"

# ---- ELF: stripped, RUNPATH relative to $ORIGIN, SONAME links ----------------------------------------------
for f in usr/bin/chronoscope usr/bin/chronoscope-cli $libs; do
    info=$(file -b "$root/$f")
    [[ $info == *ELF* && $info == *", stripped"* ]] || fail "$f is not a stripped ELF file: $info"
    runpath=$(readelf -d "$root/$f" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p')
    case $f in
    usr/bin/*) want="\$ORIGIN/../$LIBDIR" ;;
    *) want="\$ORIGIN" ;;
    esac
    [[ $runpath == "$want" ]] || fail "$f: RUNPATH '$runpath', expected '$want' (never the build tree)"
done
for lib in $libs; do
    soname=$(readelf -d "$root/$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [[ -n $soname && -L $root/usr/$LIBDIR/$soname ]] || fail "$lib: SONAME '$soname' has no link in the package"
    [[ $(readlink "$root/usr/$LIBDIR/$soname") == "$(basename "$lib")" ]] || fail "$soname does not point to $lib"
done
ok "ELF files stripped, RUNPATH \$ORIGIN-relative, SONAME links present"

# ---- run the unpacked binaries (from a folder outside the build, without LD_LIBRARY_PATH) ------------------
cd "$scratch"
for exe in chronoscope-cli chronoscope; do
    resolved=$(env -u LD_LIBRARY_PATH ldd "$root/usr/bin/$exe")
    ! grep -q 'not found' <<<"$resolved" || fail "$exe: $(grep 'not found' <<<"$resolved")"
    while read -r path; do
        [[ $(realpath "$path") == "$root/usr/$LIBDIR/"* ]] || fail "$exe loads $path from outside the package"
    done < <(awk '/libchronoscope/ {print $3}' <<<"$resolved")
done
v=$(env -u LD_LIBRARY_PATH "$root/usr/bin/chronoscope-cli" --version)
[[ $v == "chronoscope-cli $VERSION" ]] || fail "chronoscope-cli --version says '$v'"
v=$(env -u LD_LIBRARY_PATH QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$scratch" HOME="$scratch" "$root/usr/bin/chronoscope" --version 2>/dev/null)
[[ $v == "chronoscope $VERSION" ]] || fail "chronoscope --version says '$v'"
info=$(env -u LD_LIBRARY_PATH "$root/usr/bin/chronoscope-cli" info "$root/usr/share/chronoscope/demo.chronoscope")
python3 - "$info" <<'PY' || fail "info on the unpacked demo store: $info"
import json, sys
i = json.loads(sys.argv[1])
assert i["layout"] == "chronoscope" and i["events"] == 30000 and i["streams"] > 1000 and i["warnings"] == [], i
PY
ok "unpacked chronoscope-cli --version, chronoscope --version, info on the demo store"

# ---- desktop entry, metainfo, MIME types -------------------------------------------------------------------
desktop="$root/usr/share/applications/$APPID.desktop"
desktop-file-validate "$desktop" || fail "desktop-file-validate"
grep -qx 'Exec=chronoscope %U' "$desktop" || fail "the desktop entry does not pass several URIs (%U)"
for t in application/x-chronoscope application/x-chronostory+json; do
    grep -q "^MimeType=.*$t;" "$desktop" || fail "the desktop entry does not open $t"
done
appstreamcli validate --no-net "$root/usr/share/metainfo/$APPID.metainfo.xml" >"$scratch/as.log" 2>&1 ||
    { cat "$scratch/as.log" >&2; fail "appstreamcli validate"; }
mkdir -p "$scratch/xdg/mime/packages" "$scratch/files-to-type"
cp "$root/usr/share/mime/packages/$APPID.xml" "$scratch/xdg/mime/packages/"
XDG_DATA_HOME="$scratch/xdg" update-mime-database "$scratch/xdg/mime" >"$scratch/mime.log" 2>&1 || { cat "$scratch/mime.log" >&2; fail "update-mime-database"; }
[[ ! -s $scratch/mime.log ]] || fail "update-mime-database warns: $(cat "$scratch/mime.log")"
t="$scratch/files-to-type"
cp "$root/usr/share/chronoscope/demo.chronoscope" "$t/store.chronoscope"
cp "$root/usr/share/chronoscope/demo.chronoscope" "$t/renamed.db"
# A store as schema 1 wrote it (4096-byte pages, no application id): typed by its schema text on page 1.
cp "$root/usr/share/chronoscope/demo.chronoscope" "$t/small-pages.db"
python3 -c "import sqlite3; c = sqlite3.connect('$t/small-pages.db', isolation_level=None); c.execute('PRAGMA journal_mode=DELETE'); c.execute('PRAGMA application_id=0'); c.execute('PRAGMA page_size=4096'); c.execute('VACUUM'); assert c.execute('PRAGMA page_size').fetchone()[0] == 4096"
python3 -c "import sqlite3; c = sqlite3.connect('$t/other.db'); c.execute('CREATE TABLE meta(k, v)'); c.commit()"
printf '{"chronostory": 1, "title": "t", "chapters": []}\n' >"$t/demo.chronostory.json"
printf '{"a": 1}\n' >"$t/plain.json"
while read -r name want; do
    got=$(env XDG_DATA_HOME="$scratch/xdg" XDG_DATA_DIRS=/usr/share HOME="$scratch" \
        gio info -a standard::content-type "$t/$name" | sed -n 's/.*standard::content-type: //p')
    [[ $got == "$want" ]] || fail "$name is typed '$got', expected '$want'"
done <<EOF
store.chronoscope application/x-chronoscope
renamed.db application/x-chronoscope
small-pages.db application/x-chronoscope
other.db application/vnd.sqlite3
demo.chronostory.json application/x-chronostory+json
plain.json application/json
EOF
ok "desktop-file-validate, appstreamcli validate, MIME types by name and by content"

# ---- man pages: every command, no groff warnings; completion scripts parse ---------------------------------
export MANWIDTH=120
commands=$(env -u LD_LIBRARY_PATH "$root/usr/bin/chronoscope-cli" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF>1 {print $1}')
[[ -n $commands ]] || fail "no commands in chronoscope-cli --help"
page=$(man -l "$root/usr/share/man/man1/chronoscope-cli.1.gz" 2>/dev/null)
for c in $commands; do
    grep -qE "^   $c\$" <<<"$page" || fail "man chronoscope-cli has no section for '$c'"
done
for m in chronoscope-cli chronoscope; do
    warnings=$(man --warnings -l "$root/usr/share/man/man1/$m.1.gz" 2>&1 >/dev/null)
    [[ -z $warnings ]] || fail "man $m: $warnings"
done
grep -q -- '--screenshot' <(man -l "$root/usr/share/man/man1/chronoscope.1.gz" 2>/dev/null) || fail "man chronoscope lacks --screenshot"
bash -n "$root/usr/share/bash-completion/completions/chronoscope-cli" || fail "bash completion does not parse"
if command -v zsh >/dev/null; then
    zsh -n "$root/usr/share/zsh/vendor-completions/_chronoscope" || fail "zsh completion does not parse"
fi
ok "man pages ($(echo $commands | wc -w) commands), completion scripts"

if ((failures)); then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "package OK"
