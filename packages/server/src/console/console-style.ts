/**
 * The console's one stylesheet, served as a static file (`/admin/console.css`) so the pages' CSP can
 * forbid every inline style. `--primary` is the one colour theming sets (the server's brand colour).
 * At 390 px the page never scrolls sideways: tables scroll inside their own container.
 */
const DEFAULT_PRIMARY = '#1f4fd8';

const CONSOLE_CSS = `
:root{--primary:${DEFAULT_PRIMARY};--text:#1b1b1f;--muted:#55555f;--line:#d4d4dc;--bg:#fff;--soft:#f4f4f7;--bad:#a4161a;--good:#1b6e3a}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,sans-serif;color:var(--text);background:var(--bg);line-height:1.45}
a{color:var(--primary)}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.4rem}
header.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header.bar .brand{font-weight:700;margin-right:auto}
nav ul{display:flex;flex-wrap:wrap;gap:.3rem .9rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--text)}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;margin:.4rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.6rem 0 .6rem}
.muted{color:var(--muted);font-size:.92rem}
.notice{background:#e8f3ec;border:1px solid #9cc9ab;padding:.6rem .8rem;border-radius:6px}
.error{background:#fde7e9;border:1px solid #e8a0a8;padding:.6rem .8rem;border-radius:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.8rem}
.card h2{margin-top:0}
ul.requests{list-style:none;padding:0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.95rem}
table.wide{min-width:48rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td code,dd code{overflow-wrap:anywhere}
code,pre{background:var(--soft);border-radius:4px;font-size:.88rem}
code{padding:.05rem .3rem}
pre{padding:.6rem;overflow-x:auto;max-width:100%}
dl.facts{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.3rem .9rem;margin:0}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere}
form.inline{display:inline-flex;flex-wrap:wrap;gap:.4rem;align-items:end;margin:.2rem .4rem .2rem 0}
form.stack label{display:block;margin:.7rem 0 .2rem;font-weight:600}
label{font-weight:600}
input[type=text],input[type=password],input[type=search],select{padding:.45rem;font-size:1rem;border:1px solid #8a8a96;border-radius:5px;max-width:100%}
form.stack input{width:100%;max-width:24rem}
button{padding:.5rem 1rem;font-size:1rem;border-radius:6px;border:1px solid #77778a;background:var(--soft);color:var(--text);cursor:pointer}
button.primary{background:var(--primary);border-color:var(--primary);color:#fff}
button.danger{background:var(--bad);border-color:var(--bad);color:#fff}
.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end}
.filters label{display:flex;flex-direction:column;font-size:.9rem}
.pill{display:inline-block;padding:0 .45rem;border-radius:999px;border:1px solid var(--line);font-size:.85rem}
.state-blocked{border-color:var(--bad);color:var(--bad)}.state-approved{border-color:var(--good);color:var(--good)}
svg.chart{width:100%;height:auto;max-width:46rem;display:block}
svg .issued{fill:var(--primary)}svg .refused{fill:var(--bad)}svg .axis{stroke:#8a8a96}svg text{font-size:11px;fill:var(--text)}
svg .version{fill:var(--primary)}svg .line{stroke:#8a8a96;stroke-width:2}
.legend span{margin-right:1rem}.legend .swatch-issued{color:var(--primary)}.legend .swatch-refused{color:var(--bad)}
del{background:#fde7e9;text-decoration:line-through}ins{background:#e8f3ec;text-decoration:none}
@media (max-width:40rem){main{padding:.6rem}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}}
`;

/** The stylesheet in the operator's colour; anything but `#rrggbb` keeps the default (no CSS injection). */
export function consoleCss(primaryColor: string | undefined): string {
  if (primaryColor === undefined || !/^#[0-9a-fA-F]{6}$/.test(primaryColor)) return CONSOLE_CSS;
  return CONSOLE_CSS.replace(`--primary:${DEFAULT_PRIMARY}`, `--primary:${primaryColor}`);
}
