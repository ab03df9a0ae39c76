"""The instructor's live page: one HTML document that fetches ``api/class`` every few seconds.

Learner text (answers, names) is put into the page with ``textContent`` only, never as HTML.
The bar chart is the service's own SVG (built from numbers and question labels).
"""
from __future__ import annotations

import html
import json

REFRESH_MS = 3000

_STYLE = """
body{font-family:system-ui,sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 4px} .muted{color:#666;font-size:13px}
table{border-collapse:collapse;margin:6px 0 16px} td,th{border:1px solid #ddd;padding:3px 8px;font-size:14px}
th{background:#f4f4f4;text-align:left} .num{text-align:right}
.grid{display:grid;grid-template-columns:minmax(420px,600px) 1fr;gap:24px}
.correct{background:#d9f0d3}.trying{background:#fee8c8}.not_started{background:#f0f0f0}
.stuck{color:#b2182b;font-weight:600} code{font-size:13px;background:#f6f6f6;padding:1px 4px}
#status.err{color:#b2182b}
"""

_SCRIPT = """
const REFRESH = %(refresh)d;
let session = %(session)d;
const XSRF = %(xsrf)s;  // JupyterHub checks it on every cookie-authenticated fetch
function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }
function fill(id, head, rows) {
  const t = document.getElementById(id); t.replaceChildren();
  const h = t.createTHead().insertRow(); head.forEach(x => { const th = document.createElement('th'); th.textContent = x; h.appendChild(th); });
  const b = t.createTBody(); rows.forEach(r => { const tr = b.insertRow(); r.forEach(c => Array.isArray(c) ? cell(tr, c[0], c[1]) : cell(tr, c)); });
  if (!rows.length) { const tr = b.insertRow(); const td = cell(tr, 'none yet', 'muted'); td.colSpan = head.length; }
}
async function refresh() {
  const status = document.getElementById('status');
  try {
    const reply = await fetch('api/class?session=' + session, {credentials: 'same-origin', cache: 'no-store', headers: {'X-XSRFToken': XSRF}});
    if (!reply.ok) throw new Error('the service answered ' + reply.status);
    const d = await reply.json();
    document.getElementById('title').textContent = d.title;
    document.getElementById('bars').innerHTML = d.svg;
    fill('questions', ['question', 'problem', 'correct', 'trying', 'not started'],
         d.questions.map(q => [q.question, q.problem_id, [q.correct, 'num correct'], [q.trying, 'num trying'], [q.not_started, 'num not_started']]));
    fill('diagnoses', ['question', 'diagnosis', 'answers', 'learners', 'example (anonymised)'],
         d.diagnoses.map(x => [x.question, x.diagnosis, [x.count, 'num'], [x.learners, 'num'], x.example || '']));
    fill('stuck', ['learner', 'why', 'last answer'], d.stuck.map(s => [[s.learner, 'stuck'], s.reason, s.last_at || '']));
    fill('gates', ['gate', 'learners'], Object.entries(d.gates).map(([k, v]) => [k, [v, 'num']]));
    const qs = d.questions.map(q => q.question);
    fill('learners', ['learner', 'gate', 'attempts'].concat(qs),
         d.learners.map(p => [p.learner, p.gate, [p.attempts, 'num']].concat(qs.map(q => [p.states[q].replace('_', ' '), p.states[q]]))));
    document.getElementById('csv').href = 'api/class.csv?session=' + session;
    status.textContent = d.roster_size + ' learners, ' + d.attempts + ' answers; updated ' + new Date().toLocaleTimeString();
    status.className = 'muted';
  } catch (e) { status.textContent = 'not updated: ' + e.message + ' (retrying)'; status.className = 'err'; }
}
document.getElementById('session').addEventListener('change', e => { session = parseInt(e.target.value); refresh(); });
refresh(); setInterval(refresh, REFRESH);
"""


def render(session: int, instructor: str, xsrf: str = "", sessions: list[int] | None = None) -> str:
    """The page for ``instructor`` showing ``session`` first; ``xsrf`` is JupyterHub's XSRF token."""
    if sessions is None:
        from lossedu import problems

        sessions = problems.sessions()
    options = "".join(f'<option value="{k}"{" selected" if k == session else ""}>session {k}</option>' for k in sessions)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lossedu · live class</title><style>{_STYLE}</style></head>
<body>
<h1 id="title">Session {session}</h1>
<div class="muted">signed in as {html.escape(instructor)} · <label>show <select id="session">{options}</select></label>
 · <a id="csv" href="api/class.csv?session={session}">CSV export</a> · <span id="status">loading…</span></div>
<div class="grid">
 <div><h2>Per question</h2><div id="bars"></div><table id="questions"></table>
  <h2>Gates</h2><table id="gates"></table></div>
 <div><h2>Most frequent mistakes</h2><table id="diagnoses"></table>
  <h2>Stuck</h2><table id="stuck"></table></div>
</div>
<h2>Learners</h2><table id="learners"></table>
<script>{_SCRIPT % {"refresh": REFRESH_MS, "session": session, "xsrf": json.dumps(xsrf)}}</script>
</body></html>"""


def forbidden(user: str, group: str) -> str:
    """The page a signed-in non-instructor gets (with status 403)."""
    return (f"<!doctype html><html><body style='font-family:sans-serif'><h1>403: instructors only</h1>"
            f"<p>{html.escape(user)} is not in the JupyterHub group <code>{html.escape(group)}</code>. "
            f"Learners see their own progress with <code>lossedu.progress()</code> in a notebook.</p></body></html>")
