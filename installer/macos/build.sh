#!/usr/bin/env bash
# Builds the macOS app and its disk image: dist/AIGCVerify.app and
# dist/aigcverify-<version>-macos-<arch>.dmg (arm64 on Apple silicon, x86_64 on Intel: the
# wheels are per architecture, so build once on each kind of Mac).
#
#   installer/macos/build.sh [--test]
#
# 1. a build virtualenv (.venv-dist) with the pinned dependencies and PyInstaller (extra "dist");
# 2. PyInstaller with installer/aigcverify.spec (the same spec as `make dist` on Linux), which on
#    macOS also makes AIGCVerify.app (GUI as the app, the CLI beside it in Contents/MacOS);
# 3. a check that the frozen CLI starts (with --test: the frozen-bundle smoke test, tests/dist);
# 4. the .dmg: the app and a link to /Applications, compressed (UDZO) with hdiutil.
# Optional signing and notarisation (skipped when the variables are unset):
#   AIGCVERIFY_CODESIGN_IDENTITY="Developer ID Application: …"   signs every binary and the app
#                                     (hardened runtime, installer/macos/entitlements.plist)
#   AIGCVERIFY_NOTARY_PROFILE=<keychain profile of `xcrun notarytool store-credentials`>
# Needs: Xcode command line tools, python3.11 (PYTHON=… to choose another), network for step 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3.11}
VENV=$ROOT/.venv-dist
TEST=0
[ "${1:-}" = "--test" ] && TEST=1

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
EXTRAS=".[dist]"
[ $TEST = 1 ] && EXTRAS=".[dist,test]"
"$VENV/bin/pip" install --disable-pip-version-check -q -c requirements-lock.txt -e "$EXTRAS"

export PYINSTALLER_CONFIG_DIR="$ROOT/build/pyinstaller/config"  # no cache under ~/Library
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller installer/aigcverify.spec

APP=dist/AIGCVerify.app
VERSION=$("$APP/Contents/MacOS/aigcverify" --version | awk '{print $2}')
[ -n "$VERSION" ] || { echo "the frozen CLI does not start" >&2; exit 1; }

if [ $TEST = 1 ]; then
  AIGCVERIFY_DIST="$ROOT/dist/aigcverify" QT_QPA_PLATFORM=offscreen \
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests/dist
fi

DMG=dist/aigcverify-$VERSION-macos-$(uname -m).dmg
STAGE=build/dmg
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
ditto "$APP" "$STAGE/AIGCVerify.app"  # keeps symlinks, permissions and signatures
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "AIGCVerify $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO \
  -ov "$DMG"

if [ -n "${AIGCVERIFY_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$AIGCVERIFY_CODESIGN_IDENTITY" "$DMG"
  if [ -n "${AIGCVERIFY_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$DMG" --keychain-profile "$AIGCVERIFY_NOTARY_PROFILE" --wait
    xcrun stapler staple "$DMG"
  fi
fi
echo "built $DMG"
