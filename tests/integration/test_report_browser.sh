#!/usr/bin/env bash
# Integration: the reports of a run whose commands print hostile output
# (markup, "]]>", NUL and control characters, ANSI escapes, invalid UTF-8,
# 3 MB of text) are valid and inert:
#  * the JUnit file validates against tests/data/junit-drill.xsd (xmllint);
#  * the HTML report, rendered by a real headless Chromium, produces no
#    console message (a CSP violation or a script would log one), has no
#    <script> element in its DOM, shows the hostile text as text, and
#    screenshots as a page with content.
# A positive control (the same page with a script and a remote image
# injected) must produce console messages, so this test can fail.
CHECK_LIB_NAME=browser . "$(dirname "${BASH_SOURCE[0]}")/check-lib.sh"
: "${DRILL_TEST_DATA:?}"

browser=$(command -v chromium || command -v chromium-browser || true)
require chromium "run fixtures/setup.sh" test -n "$browser"
require xmllint "run fixtures/setup.sh" command -v xmllint > /dev/null

# The hostile drill's steps run on the "backup" node, locally; nothing else
# of the sandbox topology is contacted (ports there are closed).
"$DRILL_BIN" run -t "$DRILL_TEST_DATA/valid/topology-sandbox.yaml" --db "$work/d.db" \
    --progress quiet --junit "$work/out/h.xml" --html "$work/out/h.html" \
    "$DRILL_TEST_DATA/valid/drill-hostile.yaml" > "$work/run.out" 2>&1
check "the hostile drill fails its verification (exit 1)" [ $? -eq 1 ]
echo "report sizes: JUnit $(stat -c %s "$work/out/h.xml") bytes, HTML $(stat -c %s "$work/out/h.html") bytes"

xmllint --noout --schema "$DRILL_TEST_DATA/junit-drill.xsd" "$work/out/h.xml" 2> "$work/xsd.err"
check "JUnit validates against junit-drill.xsd" [ $? -eq 0 ]
check "JUnit is well-formed XML 1.0 despite NUL and control characters" xmllint --noout "$work/out/h.xml"

# chromium as root needs --no-sandbox; its own profile dir keeps runs apart.
render() {  # render HTML_FILE ARGS... -> stdout of chromium, stderr to $work/render.err
    local f=$1; shift
    timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --disable-dev-shm-usage --user-data-dir="$work/profile" --enable-logging=stderr \
        --v=0 "$@" "file://$f" 2> "$work/render.err"
}
t0=$(date +%s%N)
render "$work/out/h.html" --dump-dom > "$work/dom.html"
rc=$?
t1=$(date +%s%N)
echo "chromium --dump-dom took $(( (t1 - t0) / 1000000 )) ms"
check "chromium renders the report" [ "$rc" -eq 0 -a -s "$work/dom.html" ]
grep ':CONSOLE' "$work/render.err"
check "no console message (no CSP violation, no script, no load)" \
    [ "$(grep -c ':CONSOLE' "$work/render.err")" -eq 0 ]
check "the DOM holds no <script> element" [ "$(grep -c '<script' "$work/dom.html")" -eq 0 ]
check "hostile markup is shown as text" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$work/dom.html"
check "the failing step's hostile message is text" grep -q '&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;' "$work/dom.html"
check "sections after the hostile output still render (drill file, seal)" \
    grep -q 'id="seal"' "$work/dom.html"

render "$work/out/h.html" --window-size=1280,2400 --screenshot="$work/shot.png" > /dev/null
check "screenshot written" [ -s "$work/shot.png" ]
# Distinct pixel rows of the screenshot: a blank page has 1.
rows=$(/usr/bin/python3 - "$work/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
pos, idat, w, h = 8, b'', 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h = struct.unpack('>II', body[:8])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = len(raw) // h
print(len({raw[i * stride + 1:(i + 1) * stride] for i in range(h)}))
PY
)
echo "screenshot: ${rows:-?} distinct pixel rows"
check "the screenshot shows content (${rows:-0} distinct rows > 100)" [ "${rows:-0}" -gt 100 ]

# Phone and desktop width: the page is no wider than the screen (tables scroll
# inside it). The report is framed at that width by a page of this test's own
# (Chromium will not make a window narrower than 500 px), which reads the
# frame's layout; without the report's narrow-screen rules a 390 px frame
# measured 657 px of page.
fits() { [ -n "$1" ] && [ "$1" -le "$2" ]; }   # fits SCROLL CLIENT
for width in 390 1280; do
    cat > "$work/wrap-$width.html" <<EOF
<!doctype html><html><body style="margin:0">
<iframe id="f" src="out/h.html" style="width:${width}px;height:900px;border:0"></iframe>
<script>document.getElementById("f").onload = function () {
  var d = this.contentDocument.documentElement;
  console.log("FRAME scroll=" + d.scrollWidth + " client=" + d.clientWidth); };</script>
</body></html>
EOF
    render "$work/wrap-$width.html" --allow-file-access-from-files --window-size=1400,1000 \
        --dump-dom > /dev/null
    frame=$(grep -o 'FRAME scroll=[0-9]* client=[0-9]*' "$work/render.err" | head -n 1)
    echo "at $width px: ${frame:-no measurement}"
    scroll=$(sed -n 's/.*scroll=\([0-9]*\).*/\1/p' <<<"$frame")
    client=$(sed -n 's/.*client=\([0-9]*\)/\1/p' <<<"$frame")
    check "at $width px the report is no wider than the screen (${scroll:-?} <= ${client:-?})" \
        fits "$scroll" "${client:-0}"
done

# Positive control: the same page with a script and a remote image injected.
sed 's|<h1>|<script>console.log("injected")</script><img src="http://127.0.0.1:9/x.png"><h1>|' \
    "$work/out/h.html" > "$work/bad.html"
render "$work/bad.html" --dump-dom > /dev/null
check "control: an injected script and remote image are caught" \
    [ "$(grep -c ':CONSOLE' "$work/render.err")" -ge 2 ]

finish
