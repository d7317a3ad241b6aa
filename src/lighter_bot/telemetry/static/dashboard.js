// lighter-bot dashboard: polls /dashboard/data.json and redraws tables and plotly charts.
"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const REFRESH_MS = Math.max(500, Number(params.get("refresh") || 2000));
  const LAYOUT = {
    paper_bgcolor: "#172027", plot_bgcolor: "#172027", font: { color: "#dde3e8", size: 11 },
    margin: { l: 50, r: 10, t: 10, b: 30 }, showlegend: true, legend: { orientation: "h", y: -0.15 },
    xaxis: { type: "date", gridcolor: "#25313a" }, yaxis: { gridcolor: "#25313a", zerolinecolor: "#44515c" },
  };
  const CONFIG = { displayModeBar: false, responsive: true };
  const ROWS = [
    ["realized_quote", "realized PnL (USD)", 4], ["unrealized_quote", "unrealized PnL now (USD)", 4],
    ["total_quote", "total PnL (USD)", 4], ["fees_paid", "fees paid (USD)", 4], ["fills", "fills (count)", 0],
    ["maker_fills", "maker fills (count)", 0], ["taker_fills", "taker fills (count)", 0],
    ["hedger_fills", "hedge fills (count)", 0],
    ["maker_volume", "maker volume (USD)", 2], ["taker_volume", "taker volume (USD)", 2],
    ["hedger_volume", "hedge volume (USD)", 2],
  ];
  const RIGHT_AXIS_MARGIN = 60; // room for the right axis' tick labels and title (they were clipped at 10)
  let updates = 0;

  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    return Number(v).toFixed(digits);
  }
  function signClass(v) { return v > 0 ? "pos" : v < 0 ? "neg" : ""; }
  function el(id) { return document.getElementById(id); }
  function dates(ts) { return ts.map((t) => new Date(t * 1000)); }

  function drawWindows(d) {
    const cols = d.windows_order; // e.g. ["5m", "6h", "total"]
    const head = el("windows").querySelectorAll("thead th[data-col]");
    head.forEach((th, i) => { th.dataset.col = cols[i]; th.textContent = cols[i] === "total" ? "all time" : cols[i]; });
    const body = el("windows").querySelector("tbody");
    body.innerHTML = "";
    for (const [key, label, digits] of ROWS) {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td>${label}</td>`;
      for (const w of cols) {
        const v = d.windows[w][key];
        const td = document.createElement("td");
        td.dataset.window = w; td.dataset.key = key; td.id = `${key}-${w}`;
        td.textContent = fmt(v, digits);
        if (key.endsWith("_quote")) td.className = signClass(v);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  function drawPosition(d) {
    const p = d.position, c = d.caps, q = d.quotes, sym = d.market.symbol;
    const notQuoting = q.halted ? "not quoting (HALTED)" : null;
    const rows = [
      [`position (${sym})`, fmt(p.units, 4), "position-units"],
      ["position notional (USD)", fmt(p.notional, 2), "position-notional"],
      [`cap |position| (${sym})`, fmt(c.max_position_units, 4), "cap-units"],
      ["cap notional (USD)", fmt(c.max_inventory_notional, 2), "cap-notional"],
      [`hedge trigger (${sym})`, fmt(c.hedge_trigger_units, 4), "hedge-trigger"],
      ["mid (USD)", fmt(p.mid, 4), "mid"],
      ["our bid (USD)", notQuoting || fmt(q.bid, 4), "quote-bid"],
      ["our ask (USD)", notQuoting || fmt(q.ask, 4), "quote-ask"],
      ["quoted width (bps)", notQuoting || fmt(q.spread_bps, 2), "spread-bps"],
    ];
    el("position").querySelector("tbody").innerHTML = rows.map(([k, v, id]) =>
      `<tr><td>${k}</td><td id="${id}"${id.startsWith("quote") || id === "spread-bps" ? ' class="quote-cell"' : ""}>${v}</td></tr>`).join("");
    const mk = d.markouts, wins = Object.keys(mk), hs = wins.length ? Object.keys(mk[wins[0]]) : [];
    el("markouts").querySelector("thead tr").innerHTML =
      `<th>markout (bps, our favour)</th>` + hs.map((h) => `<th>${h}</th>`).join("");
    el("markouts").querySelector("tbody").innerHTML = wins.map((w) =>
      `<tr><td>${w}</td>` + hs.map((h) => `<td id="markout-${w}-${h}" class="${signClass(mk[w][h])}">${fmt(mk[w][h], 2)}</td>`).join("") + "</tr>",
    ).join("");
  }

  function esc(t) { return String(t).replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[ch])); }

  function drawPlan(d) {
    const p = d.plan, g = p.pnl_guard, ef = p.edge_first, hq = p.hit_quality, ha = p.hedge_alpha;
    const slice = g.last_slice_usd === null ? "no slice closed yet" : `last 5-min slice ${fmt(g.last_slice_usd, 4)} USD`;
    const rows = [
      ["quoted width", p.spread_bps === null ? "not quoting" : `${fmt(p.spread_bps, 1)} bps = ${esc(p.spread_why)}`, "plan-spread"],
      ["1 edge first", (ef.floor_extra_bps > 0 ? `holding the width at its floor (+${fmt(ef.floor_extra_bps, 1)} bps): recent fills have not earned a tighter band`
        : "tightening earned (no floor added)") + (ef.clips_pinned ? "; clips pinned to size_min until realized PnL proves itself" : "; clips free"), "plan-edge"],
      ["2 PnL guard", g.level > 0 ? `engaged, level ${g.level}: +${fmt(g.extra_bps, 1)} bps, size x${fmt(g.size_multiplier, 2)} (${slice})`
        : `off, level 0 (${slice})`, "plan-guard"],
      ["3 hit quality", hq.defended.length ? `defending the ${hq.defended.join(" and ")} (picked off): widened / safe side only` : "no side defended", "plan-hit"],
      ["4 hedge alpha", `${ha.vetoes} hedge cross(es) vetoed` + (ha.last_veto ? `; last: ${esc(ha.last_veto)}` : ""), "plan-hedge"],
      ["hedger", esc(p.hedger_phase), "plan-hedger"],
    ];
    el("plan").querySelector("tbody").innerHTML =
      rows.map(([k, v, id]) => `<tr><td>${k}</td><td id="${id}">${v}</td></tr>`).join("");
    el("events").querySelector("tbody").innerHTML = d.events.map((e) =>
      `<tr data-event="${esc(e.event)}"><td>${new Date(e.ts * 1000).toISOString().slice(11, 19)}</td><td>${esc(e.event)}</td><td>${esc(e.message)}</td></tr>`).join("");
  }

  function drawHeader(d) {
    el("market").textContent = `${d.market.symbol} (${d.market.key})`;
    const st = el("state");
    st.textContent = d.state.trading_state; st.className = `badge ${d.state.trading_state}`;
    const why = [...d.state.reasons, ...(d.state.notes || [])];
    el("reasons").textContent = why.length ? "why: " + why.join(", ") : "";
    const halted = d.state.trading_state === "HALTED";
    document.body.classList.toggle("halted", halted);
    el("halt-why").textContent = halted ? d.state.reasons.join(", ") : "";
    el("checks").innerHTML = Object.entries(d.state.checks)
      .map(([k, ok]) => `<span class="${ok ? "ok" : "fail"}" data-check="${k}">${ok ? "✓" : "✗"} ${k}</span>`).join("");
    el("config-hash").textContent = d.config_hash;
    el("updated").textContent = new Date(d.now * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
  }

  function drawCharts(d) {
    const s = d.series, x = dates(s.ts), c = d.caps;
    Plotly.react("chart-pnl", [
      { x, y: s.realized, name: "realized", mode: "lines", line: { color: "#56d364" } },
      { x, y: s.total, name: "total (incl. unrealized)", mode: "lines", line: { color: "#58a6ff" } },
    ], { ...LAYOUT }, CONFIG);
    const band = (v, name, color) => ({ x: [x[0], x[x.length - 1]], y: [v, v], name, mode: "lines",
      line: { color, dash: "dash", width: 1 }, hoverinfo: "skip" });
    Plotly.react("chart-inventory", [
      { x, y: s.inventory, name: "inventory", mode: "lines", line: { color: "#d2a8ff" } },
      band(c.max_position_units, "cap", "#ff7b72"), band(-c.max_position_units, "-cap", "#ff7b72"),
      band(c.hedge_trigger_units, "hedge trigger", "#e3b341"), band(-c.hedge_trigger_units, "-hedge trigger", "#e3b341"),
    ], { ...LAYOUT }, CONFIG);
    const buys = d.fills.filter((f) => f.side === "bid"), sells = d.fills.filter((f) => f.side === "ask");
    Plotly.react("chart-price", [
      { x, y: s.mid, name: "mid", mode: "lines", line: { color: "#8b949e" } },
      { x, y: s.bid, name: "our bid", mode: "lines", line: { color: "#2ea043", width: 1 } },
      { x, y: s.ask, name: "our ask", mode: "lines", line: { color: "#da3633", width: 1 } },
      { x: dates(buys.map((f) => f.ts)), y: buys.map((f) => f.price), name: "we bought", mode: "markers",
        marker: { color: "#56d364", symbol: "triangle-up", size: 8 } },
      { x: dates(sells.map((f) => f.ts)), y: sells.map((f) => f.price), name: "we sold", mode: "markers",
        marker: { color: "#ff7b72", symbol: "triangle-down", size: 8 } },
    ], { ...LAYOUT }, CONFIG);
    const right = { ...LAYOUT.margin, r: RIGHT_AXIS_MARGIN };
    Plotly.react("chart-spread", [
      { x, y: s.spread_bps, name: "quoted width (bps)", mode: "lines", line: { color: "#58a6ff" } },
      { x, y: s.state, name: "state (0 active, 1 reducing, 2 halted)", mode: "lines", yaxis: "y2",
        line: { color: "#e3b341", shape: "hv" } },
    ], { ...LAYOUT, margin: right, yaxis: { ...LAYOUT.yaxis, title: { text: "bps" } },
      yaxis2: { overlaying: "y", side: "right", range: [-0.1, 2.1], dtick: 1, showgrid: false, automargin: true,
        title: { text: "state" } } }, CONFIG);
    const on = (flags) => x.filter((_, i) => flags[i] > 0);
    Plotly.react("chart-plan", [
      { x, y: s.edge_floor_bps, name: "edge first: floor added (bps)", mode: "lines", line: { color: "#39c5cf", dash: "dot" } },
      { x: on(s.defend_bid), y: on(s.defend_bid).map(() => 0), name: "hit quality defends bid", mode: "markers",
        marker: { color: "#56d364", symbol: "square" } },
      { x: on(s.defend_ask), y: on(s.defend_ask).map(() => 0), name: "hit quality defends ask", mode: "markers",
        marker: { color: "#ff7b72", symbol: "square" } },
      { x, y: s.guard_level, name: "PnL guard level", mode: "lines", yaxis: "y2", line: { color: "#e3b341", shape: "hv" } },
      { x, y: s.hedge_vetoes, name: "hedge alpha vetoes (count)", mode: "lines", yaxis: "y2",
        line: { color: "#d2a8ff", shape: "hv" } },
    ], { ...LAYOUT, margin: right, yaxis: { ...LAYOUT.yaxis, title: { text: "bps" }, rangemode: "tozero" },
      yaxis2: { overlaying: "y", side: "right", rangemode: "tozero", showgrid: false, automargin: true,
        title: { text: "level / count" } } }, CONFIG);
    Plotly.react("chart-fills", [
      { x, y: s.fills, name: "fills (all time)", mode: "lines", line: { color: "#e3b341", shape: "hv" } },
    ], { ...LAYOUT }, CONFIG);
    const wins = Object.keys(d.markouts);
    Plotly.react("chart-markouts", wins.map((w) => ({
      type: "bar", name: w, x: Object.keys(d.markouts[w]), y: Object.values(d.markouts[w]),
    })), { ...LAYOUT, xaxis: { type: "category" }, barmode: "group" }, CONFIG);
  }

  async function refresh() {
    try {
      const resp = await fetch("/dashboard/data.json", { cache: "no-store" });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      const d = await resp.json();
      drawHeader(d); drawWindows(d); drawPosition(d); drawPlan(d); drawCharts(d);
      el("error").textContent = "";
      updates += 1;
      document.body.dataset.updates = String(updates);
      document.body.dataset.dataNow = String(d.now);
    } catch (err) {
      el("error").textContent = `data unavailable: ${err.message}`;
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }
  refresh();
})();
