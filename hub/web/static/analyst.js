// The analyst page: the views the caller may query, a query with the view's purpose and a
// justification, the rows (and a map for aggregates per LSOA, or a forecast's patrol zones),
// downloads as CSV or Parquet (forecasts: GeoJSON zones).
// It calls the API with the session cookie like any page of the hub: the hub decides and
// audits every call (each page of rows and each download is a query of its own); this page
// decides nothing. Data goes into the page as text (textContent), never as HTML.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const root = $("analyst-page");
  const CSV = "text/csv";
  const PARQUET = "application/vnd.apache.parquet";
  const GEOJSON = "application/geo+json";
  const KINDS = { person: "person level", aggregate: "aggregate", forecast: "forecast" };
  const OPS = {
    eq: "equals", ne: "is not", lt: "less than", le: "at most", gt: "more than",
    ge: "at least", in: "is one of",
  };
  const LSOA = "lsoa_code";
  const MONTH = "month";
  const CODES_PER_REQUEST = 200; // the reference API takes up to 300 per GET

  class SignedOut extends Error {}
  class Problem extends Error {
    constructor(status, body) {
      super(body.detail || `The hub answered ${status}.`);
      this.status = status;
      this.body = body;
    }
  }

  let view = null; // GET /api/v1/views/{id}
  let result = null; // {body, columns, rows, next}
  let map = null;
  let markers = null;
  let gridLines = null;
  const points = new Map(); // LSOA code -> {name, latitude, longitude}, or null if unknown
  let attribution = "";

  // ---- talking to the hub -------------------------------------------------------------

  async function problemOf(answer) {
    try {
      return await answer.json();
    } catch {
      return { detail: `The hub answered ${answer.status} ${answer.statusText}.` };
    }
  }

  async function api(path, { method = "GET", body, accept = "application/json" } = {}) {
    if (root.dataset.cookieSignedIn !== "yes") throw new SignedOut("");
    const headers = { Accept: accept };
    if (method !== "GET") headers["X-CSRF-Token"] = window.hub.csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch(path, {
        method, headers, cache: "no-store", credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new Problem(0, { detail: "The hub did not answer. Check your connection and try again." });
    }
    if (answer.status === 401) {
      const problem = await problemOf(answer);
      throw new SignedOut(problem.detail || "");
    }
    if (!answer.ok) throw new Problem(answer.status, await problemOf(answer));
    return answer;
  }

  // ---- what the person sees -----------------------------------------------------------

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function showSignedOut(detail) {
    $("analyst").hidden = true;
    let reason;
    if (detail) {
      reason = `Your session has ended: ${detail} Sign in again to query views.`;
    } else {
      reason = "You are not signed in. Sign in with your organisation's account to see the " +
        "views you may query.";
    }
    $("signed-out-reason").textContent = reason;
    $("signed-out").hidden = false;
  }

  function showProblem(target, err) {
    target.replaceChildren();
    const body = err instanceof Problem ? err.body : { detail: String(err.message || err) };
    target.append(el("p", body.detail || "The hub refused the request.", "problem-detail"));
    for (const item of body.errors || []) {
      target.append(el("p", `${item.location || "request"}: ${item.message}`));
    }
    if (body.request_id) target.append(el("p", `Request id: ${body.request_id}`, "muted"));
    target.hidden = false;
  }

  function handle(err, target) {
    if (err instanceof SignedOut) {
      showSignedOut(err.message);
      return;
    }
    if (!(err instanceof Problem)) console.error(err);
    showProblem(target, err);
  }

  function setBusy(busy) {
    for (const id of ["run-query", "download-csv", "download-parquet", "load-more"]) {
      $(id).disabled = busy;
    }
    $("view-detail").setAttribute("aria-busy", busy ? "true" : "false");
  }

  // ---- the list of views --------------------------------------------------------------

  async function loadViews() {
    $("analyst").hidden = false;
    const data = await (await api("/api/v1/views")).json();
    $("views-loading").hidden = true;
    const body = $("views-table").querySelector("tbody");
    body.replaceChildren();
    if (!data.items.length) {
      const partner = root.dataset.partner;
      const roles = root.dataset.roles;
      let who = "";
      if (partner) {
        who = `You are signed in for ${partner} (roles: ${roles || "none"}).`;
        if (!roles.split(", ").includes("analyst")) who += " Views are for the analyst role.";
        else who += ` No agreement in force shares data with ${partner} through a view.`;
      }
      $("no-views-who").textContent = who;
      $("no-views").hidden = false;
      return;
    }
    for (const item of data.items) {
      const row = document.createElement("tr");
      const open = el("button", item.title, "link view-open");
      open.type = "button";
      open.dataset.viewId = item.id;
      open.addEventListener("click", () => openView(item.id));
      const title = document.createElement("td");
      title.append(open);
      const kind = document.createElement("td");
      kind.append(el("span", KINDS[item.kind] || item.kind, "badge"));
      row.append(title, kind, el("td", item.agreement, "mono"));
      const go = el("button", "Open", "secondary");
      go.type = "button";
      go.setAttribute("aria-label", `Open ${item.title}`);
      go.addEventListener("click", () => openView(item.id));
      const cell = document.createElement("td");
      cell.append(go);
      row.append(cell);
      body.append(row);
    }
    $("views-table").hidden = false;
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (data.items.some((item) => item.id === wanted)) await openView(wanted);
  }

  // ---- one view: its description and the query form -----------------------------------

  function columnType(name) {
    const column = view.columns.find((c) => c.name === name);
    return column ? column.type : "string";
  }

  function suppressedNote() {
    return `Suppressed: fewer than ${view.min_cell_size} (the agreement's minimum cell size), ` +
      "or hidden so that no total gives a small count away (secondary suppression).";
  }

  async function openView(id) {
    $("query-problem").hidden = true;
    try {
      view = await (await api(`/api/v1/views/${encodeURIComponent(id)}`)).json();
    } catch (err) {
      handle(err, $("page-problem"));
      return;
    }
    $("page-problem").hidden = true;
    history.replaceState(null, "", `#${encodeURIComponent(id)}`);
    $("view-title").textContent = view.title;
    showCorrected(view.corrected_since_seen || []);
    $("view-description").textContent = view.description;
    $("view-kind").textContent = {
      person: "Person level: one row per person, named by a pseudonym",
      aggregate: "Aggregate: counts per group, small counts suppressed",
      forecast: "Forecast: next month's patrol zones of places (never people), small counts suppressed",
    }[view.kind] || view.kind;
    const forecast = view.kind === "forecast";
    $("download-csv").hidden = forecast;
    $("download-parquet").hidden = forecast;
    $("download-geojson").hidden = !forecast;
    $("view-agreement").textContent = view.agreement;
    const aggregate = view.min_cell_size !== null && view.min_cell_size !== undefined;
    $("view-cell-label").hidden = !aggregate;
    $("view-cell").hidden = !aggregate;
    $("view-cell").textContent = aggregate
      ? `${view.min_cell_size}: smaller counts are shown as “suppressed”` : "";
    $("purpose").value = view.purpose;
    $("purpose-description").textContent = view.purpose_description;

    const columns = $("columns-table").querySelector("tbody");
    columns.replaceChildren();
    for (const column of view.columns) {
      const row = document.createElement("tr");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.name = "column";
      box.value = column.name;
      box.id = `column-${column.name}`;
      const include = document.createElement("td");
      include.append(box);
      const name = document.createElement("td");
      const label = el("label", column.name, "mono");
      label.htmlFor = box.id;
      name.append(label);
      row.append(include, name, el("td", column.type), el("td", column.description));
      columns.append(row);
    }

    const filters = $("filters");
    filters.replaceChildren();
    for (const filter of view.filters) {
      const box = el("div", undefined, "filter");
      const op = document.createElement("select");
      op.id = `filter-${filter.column}-op`;
      op.dataset.column = filter.column;
      op.className = "filter-op";
      for (const name of filter.ops) op.append(new Option(OPS[name] || name, name));
      const value = document.createElement("input");
      value.id = `filter-${filter.column}`;
      value.className = "filter-value";
      value.dataset.column = filter.column;
      value.placeholder = filter.column === MONTH || filter.column === "born" ? "YYYY-MM" : "";
      const label = el("label", filter.column, "mono");
      label.htmlFor = value.id;
      op.setAttribute("aria-label", `${filter.column}: how to compare`);
      const pair = el("div", undefined, "op-value");
      pair.append(op, value);
      box.append(label, pair);
      filters.append(box);
    }
    $("filters-fieldset").hidden = view.filters.length === 0;

    $("justification").value = "";
    $("case-reference").value = "";
    $("download-note").hidden = true;
    $("result").hidden = true;
    result = null;
    if (map) {
      map.remove();
      map = null;
      gridLines = null;
    }
    $("view-detail").hidden = false;
    $("view-title").scrollIntoView({ block: "nearest" });
  }

  function typed(column, text) {
    const value = text.trim();
    return columnType(column) === "integer" && /^-?\d+$/.test(value) ? Number(value) : value;
  }

  function queryBody() {
    const body = { purpose: $("purpose").value, justification: $("justification").value };
    const reference = $("case-reference").value.trim();
    if (reference) body.case_reference = reference;
    const limit = $("limit").value.trim();
    if (limit) body.limit = Number(limit);
    const boxes = [...document.querySelectorAll("#columns-table input[name=column]")];
    if (boxes.some((box) => !box.checked)) {
      body.columns = boxes.filter((box) => box.checked).map((box) => box.value);
    }
    body.filters = [];
    for (const input of document.querySelectorAll("#filters .filter-value")) {
      if (!input.value.trim()) continue;
      const column = input.dataset.column;
      const op = $(`${input.id}-op`).value;
      const value = op === "in"
        ? input.value.split(",").map((part) => part.trim()).filter(Boolean).map((part) => typed(column, part))
        : typed(column, input.value);
      body.filters.push({ column, op, value });
    }
    return body;
  }

  function queryPath() {
    return `/api/v1/views/${encodeURIComponent(view.id)}/query`;
  }

  // Earlier answers of this view were corrected (rectified, erased or restricted at the
  // source) since this analyst last ran it: say so until the next query.
  function showCorrected(notices) {
    const banner = $("corrected-banner");
    banner.hidden = notices.length === 0;
    if (!notices.length) return;
    const n = notices.length;
    banner.textContent = `Data in earlier answers of this view has been corrected since you `
      + `last ran it (${n} ${n === 1 ? "notice" : "notices"} to your organisation: `
      + `${notices.map((x) => x.type).join(", ")}). Run it again for the corrected answer, `
      + `and update or delete copies you kept.`;
  }

  async function runQuery(event) {
    event.preventDefault();
    $("query-problem").hidden = true;
    $("download-note").hidden = true;
    const body = queryBody();
    setBusy(true);
    try {
      const answer = await api(queryPath(), { method: "POST", body });
      const data = tagRows(await answer.json(), answer);
      result = {
        body, columns: data.columns, rows: data.rows, next: data.next_cursor || null,
        forecast: data.forecast || null,
      };
      showCorrected([]); // a fresh answer: the hub now counts this view as seen
      await showResult(true);
      if (view.kind === "forecast") {
        // The zones for the map: an export of its own, recorded as such (forecast.export).
        const zones = await (await api(queryPath(), { method: "POST", body, accept: GEOJSON })).json();
        drawZones(zones);
      }
    } catch (err) {
      $("result").hidden = true;
      handle(err, $("query-problem"));
    } finally {
      setBusy(false);
    }
  }

  async function loadMore() {
    if (!result || !result.next) return;
    $("query-problem").hidden = true;
    setBusy(true);
    try {
      const body = { ...result.body, cursor: result.next };
      const answer = await api(queryPath(), { method: "POST", body });
      const data = tagRows(await answer.json(), answer);
      result.rows.push(...data.rows);
      result.next = data.next_cursor;
      appendRows(data.rows);
      await showResult(false);
    } catch (err) {
      handle(err, $("query-problem"));
    } finally {
      setBusy(false);
    }
  }

  // ---- the result: table, count, map --------------------------------------------------

  function cell(column, value) {
    const td = document.createElement("td");
    const type = columnType(column);
    if (type === "integer") td.className = "num";
    if (Array.isArray(value)) {
      td.textContent = `${value.length} ${value.length === 1 ? "cell" : "cells"}`;
      td.title = value.join(", ");
      return td;
    }
    if (typeof value === "boolean") {
      td.textContent = value ? "yes" : "no";
      return td;
    }
    if (value === null || value === undefined) {
      if (view.kind !== "person") {
        const mark = el("span", "suppressed", "suppressed");
        mark.title = suppressedNote();
        td.append(mark);
        td.classList.add("suppressed-cell");
      } else {
        td.title = "Not known"; // empty, as in the CSV
      }
    } else if (type === "pseudonym") {
      td.classList.add("pseudonym");
      td.append(el("code", value));
    } else {
      td.textContent = String(value);
    }
    return td;
  }

  // Each row remembers the query (its X-Request-Id) that showed it: a re-identification
  // request names that query. Not enumerable, so it never reaches a download.
  function tagRows(data, answer) {
    const requestId = answer.headers.get("X-Request-Id") || "";
    for (const row of data.rows) Object.defineProperty(row, "__request", { value: requestId });
    return data;
  }

  function personColumn() {
    if (!view || view.kind !== "person") return null;
    return result.columns.find((c) => columnType(c) === "pseudonym") || null;
  }

  function appendRows(rows) {
    const body = $("result-table").querySelector("tbody");
    const fragment = document.createDocumentFragment();
    const person = personColumn();
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const column of result.columns) tr.append(cell(column, row[column]));
      if (person) {
        const td = document.createElement("td");
        td.className = "row-action"; // not a column of the view: downloads do not have it
        const ask = el("button", "Request re-identification", "secondary small");
        ask.type = "button";
        ask.dataset.testid = "request-reidentification";
        ask.addEventListener("click", () => openReidentification(row[person], row.__request));
        td.append(ask);
        tr.append(td);
      }
      fragment.append(tr);
    }
    body.append(fragment);
  }

  // ---- re-identification (DPA 2018 s.171) ---------------------------------------------

  const REID = "/api/v1/reidentifications";

  function openReidentification(pseudonym, requestId) {
    $("reid-problem").hidden = true;
    $("reid-done").hidden = true;
    $("reid-pseudonym").value = pseudonym;
    $("reid-origin").value = requestId;
    $("reid-person").textContent = pseudonym.slice(0, 12) + "…";
    $("reid-card").hidden = false;
    $("reid-card").scrollIntoView({ block: "start" });
    $("reid-legislation").focus();
  }

  async function submitReidentification(event) {
    event.preventDefault();
    $("reid-problem").hidden = true;
    const body = {
      origin_request_id: $("reid-origin").value,
      pseudonym: $("reid-pseudonym").value,
      basis: $("reid-basis").value,
      legislation: $("reid-legislation").value.trim(),
      case_reference: $("reid-case").value.trim(),
      justification: $("reid-justification").value.trim(),
      necessity_statement: $("reid-necessity").value.trim(),
    };
    try {
      const made = await (await api(REID, { method: "POST", body })).json();
      $("reid-form").reset();
      $("reid-done").textContent = `Request ${made.id} sent (case ${made.case_reference}). ` +
        "It needs two approvals, one of them from a provider of the person's records.";
      $("reid-done").hidden = false;
      await loadReidentifications();
    } catch (err) {
      handle(err, $("reid-problem"));
    }
  }

  async function loadReidentifications() {
    let data;
    try {
      data = await (await api(REID)).json();
    } catch (err) {
      if (err instanceof Problem && err.status === 403) return; // not an analyst of a party
      handle(err, $("reid-list-problem"));
      return;
    }
    const body = $("reid-requests").querySelector("tbody");
    body.replaceChildren();
    for (const item of data.items) {
      const tr = document.createElement("tr");
      tr.dataset.request = item.id;
      tr.dataset.status = item.status;
      tr.append(el("td", item.created_at.slice(0, 16).replace("T", " ")));
      tr.append(el("td", item.case_reference));
      tr.append(el("td", item.basis));
      tr.append(el("td", item.status.replace("_", " ")));
      const td = document.createElement("td");
      if (item.status === "approved") {
        const fetchButton = el("button", "Fetch the references (once)");
        fetchButton.type = "button";
        fetchButton.dataset.testid = "fetch-references";
        fetchButton.addEventListener("click", () => reveal(item.id));
        td.append(fetchButton);
        if (item.expires_at) td.append(el("span", ` until ${item.expires_at.slice(0, 16).replace("T", " ")} UTC`, "muted"));
      } else if (item.revealed_at) {
        td.textContent = `fetched ${item.revealed_at.slice(0, 16).replace("T", " ")} UTC`;
      } else {
        td.textContent = "—";
      }
      tr.append(td);
      body.append(tr);
    }
    $("reid-requests-card").hidden = data.items.length === 0;
  }

  async function reveal(id) {
    $("reid-list-problem").hidden = true;
    try {
      const data = await (await api(`${REID}/${encodeURIComponent(id)}/reveal`)).json();
      const body = $("reid-revealed-table").querySelector("tbody");
      body.replaceChildren();
      for (const row of data.rows) {
        const tr = document.createElement("tr");
        for (const value of [row.provider, row.dataset, row.upload_id, String(row.row),
          row.reference_column || "—", row.reference || "—"]) tr.append(el("td", value));
        body.append(tr);
      }
      $("reid-revealed-note").textContent = data.rows.length
        ? `${data.rows.length} rows. Resolve each reference in the provider's own system; ` +
          "the hub will not show them again."
        : `No rows: ${data.reason || "none held"}.`;
      $("reid-revealed").hidden = false;
      await loadReidentifications();
    } catch (err) {
      handle(err, $("reid-list-problem"));
      await loadReidentifications();
    }
  }

  async function showResult(fresh) {
    if (fresh) {
      const head = document.createElement("tr");
      for (const column of result.columns) {
        const th = el("th", column);
        th.scope = "col";
        if (columnType(column) === "integer") th.className = "num";
        const described = view.columns.find((c) => c.name === column);
        if (described) th.title = described.description;
        head.append(th);
      }
      if (personColumn()) {
        head.append(Object.assign(el("th", "Action", "row-action"), { scope: "col" }));
      }
      $("result-table").querySelector("thead").replaceChildren(head);
      $("result-table").querySelector("tbody").replaceChildren();
      $("result-caption").textContent = `${view.title}: query result`;
      appendRows(result.rows);
      $("result").hidden = false;
      $("result").scrollIntoView({ block: "start" });
    }
    const count = result.rows.length;
    let text = `${count} ${count === 1 ? "row" : "rows"}`;
    text += result.next ? " so far; there are more: use “Load more”." : ".";
    if (view.kind !== "person") {
      const hidden = result.rows.reduce(
        (n, row) => n + result.columns.filter((c) => row[c] === null).length, 0);
      if (hidden) text += ` ${hidden} ${hidden === 1 ? "cell is" : "cells are"} suppressed.`;
    }
    $("row-count").textContent = text;
    $("load-more").hidden = !result.next;
    $("result").hidden = false;
    $("forecast-panel").hidden = !result.forecast;
    if (result.forecast) {
      showForecast(result.forecast);
      return; // the zones are drawn when their GeoJSON comes
    }
    $("zone-legend").hidden = true;
    $("map-legend").hidden = false;
    $("map-panel").querySelector(".map-controls").hidden = false;
    if (view.kind === "aggregate" && result.columns.includes(LSOA)) {
      await showMap(fresh);
    } else {
      $("map-panel").hidden = true;
    }
  }

  function showForecast(f) {
    $("forecast-served").textContent = `Model served: ${f.model}, for ${f.valid_from} to ` +
      `${f.valid_to} (data to ${f.data_cutoff}, ${f.cells_selected} of ${f.cells_in_area} cells, ` +
      `${f.budget_pct}% of the area). ${f.served_because}`;
    const pai = (v) => (v === null || v === undefined ? "not known" : v);
    $("forecast-accuracy").textContent = `Back-test PAI ${pai(f.pai_backtest)}, beside the ` +
      `baseline's ${pai(f.baseline_pai_backtest)}; PEI* ${pai(f.pei_backtest)} ` +
      "(1 would be the best any forecast of that size could do).";
    const p = f.patrol;
    $("forecast-patrol").textContent = `Patrol: ${p.dwell_minutes_min}-${p.dwell_minutes_max} ` +
      `minutes per visit, about every ${p.revisit_every_minutes / 60} hours, zones in a random order.`;
    $("forecast-disclaimer").textContent = f.disclaimer;
  }

  function drawZones(geo) {
    $("map-panel").hidden = false;
    $("map-panel").querySelector(".map-controls").hidden = true;
    $("map-legend").hidden = true;
    $("zone-legend").hidden = false;
    if (!map) {
      map = L.map("map", { zoomSnap: 0.25, attributionControl: true });
      map.attributionControl.setPrefix(false);
      map.createPane("grid").style.zIndex = 350;
      markers = L.layerGroup().addTo(map);
    }
    markers.clearLayers();
    const count = geo.features.length;
    const layer = L.geoJSON(geo, {
      style: (feature) => {
        const p = feature.properties;
        const share = count > 1 ? 1 - (p.rank - 1) / (count - 1) : 1;
        return {
          color: "#7a2a05", weight: 2, dashArray: p.suppressed ? "3 3" : null,
          fillColor: p.suppressed ? "#ffffff" : colour(share), fillOpacity: 0.7,
          className: `forecast-zone${p.suppressed ? " zone-suppressed" : ""}`,
        };
      },
      onEachFeature: (feature, zone) => {
        const p = feature.properties;
        const box = el("div", undefined, "zone-popup");
        const figure = p.suppressed ? "forecast count suppressed" : `${p.forecast_count} crimes forecast`;
        box.append(el("strong", `Zone ${p.rank}`), el("div", figure),
          el("div", `${p.h3_cells.length} H3 cells`), el("div", `${p.valid_from} to ${p.valid_to}`));
        zone.bindPopup(box);
        zone.bindTooltip(`Zone ${p.rank}: ${p.suppressed ? "suppressed" : p.forecast_count}`);
      },
    });
    markers.addLayer(layer);
    if (count) {
      const bounds = layer.getBounds();
      if (gridLines) map.removeLayer(gridLines);
      gridLines = grid(bounds).addTo(map);
      map.invalidateSize();
      map.fitBounds(bounds.pad(0.3));
    }
    const hidden = geo.features.filter((f) => f.properties.suppressed).length;
    $("zone-note").textContent = `${count} ${count === 1 ? "zone" : "zones"}` +
      (hidden ? `, ${hidden} with the count suppressed.` : ".");
  }

  async function lsoaPoints(codes) {
    const missing = codes.filter((code) => !points.has(code));
    for (let i = 0; i < missing.length; i += CODES_PER_REQUEST) {
      const chunk = missing.slice(i, i + CODES_PER_REQUEST);
      let answer;
      try {
        answer = await fetch(`/api/v1/reference/lsoas?codes=${chunk.join(",")}`);
      } catch {
        throw new Problem(0, { detail: "The hub did not answer for the map's LSOA points." });
      }
      if (!answer.ok) throw new Problem(answer.status, await problemOf(answer));
      const data = await answer.json();
      attribution = data.attribution;
      for (const item of data.items) points.set(item.code, item);
      for (const code of chunk) if (!points.has(code)) points.set(code, null);
    }
  }

  function fillSelect(select, values, preferred, label = (v) => v) {
    const keep = values.includes(select.value) ? select.value : preferred;
    select.replaceChildren(...values.map((v) => new Option(label(v), v)));
    select.value = keep;
  }

  async function showMap(fresh) {
    const codes = [...new Set(result.rows.map((row) => row[LSOA]).filter(Boolean))];
    try {
      await lsoaPoints(codes);
    } catch (err) {
      $("map-panel").hidden = true;
      handle(err, $("query-problem"));
      return;
    }
    const hasMonth = result.columns.includes(MONTH);
    const months = hasMonth
      ? [...new Set(result.rows.map((row) => row[MONTH]).filter(Boolean))].sort() : [];
    fillSelect($("map-month"), months, months[months.length - 1]);
    $("map-month-label").hidden = !hasMonth;
    const measures = result.columns.filter((c) => c !== LSOA && c !== MONTH && columnType(c) === "integer");
    if (!measures.length) {
      $("map-panel").hidden = true;
      return;
    }
    fillSelect($("map-measure"), measures, measures[measures.length - 1]);
    $("map-panel").hidden = false;
    drawMap(fresh);
  }

  function colour(share) {
    // Light yellow to dark red: more incidents, darker and larger.
    const stops = [[255, 237, 160], [254, 178, 76], [240, 59, 32], [128, 0, 38]];
    const at = Math.min(stops.length - 1.001, Math.max(0, share * (stops.length - 1)));
    const i = Math.floor(at);
    const f = at - i;
    const mix = stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f));
    return `rgb(${mix.join(",")})`;
  }

  function grid(bounds) {
    // No tiles (the hub needs no internet): a plain grid of latitude and longitude lines.
    const padded = bounds.pad(2);
    const layer = L.layerGroup();
    const span = Math.max(bounds.getNorth() - bounds.getSouth(), bounds.getEast() - bounds.getWest());
    const step = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2].find((s) => span / s <= 10) || 5;
    const line = { color: "#c9d3dd", weight: 1, interactive: false, pane: "grid" };
    for (let lat = Math.floor(padded.getSouth() / step) * step; lat <= padded.getNorth(); lat += step) {
      layer.addLayer(L.polyline([[lat, padded.getWest()], [lat, padded.getEast()]], line));
    }
    for (let lon = Math.floor(padded.getWest() / step) * step; lon <= padded.getEast(); lon += step) {
      layer.addLayer(L.polyline([[padded.getSouth(), lon], [padded.getNorth(), lon]], line));
    }
    return layer;
  }

  function popup(point, code, month, figures) {
    const box = el("div", undefined, "lsoa-popup");
    box.append(el("strong", point.name), el("div", code, "mono"));
    if (month) box.append(el("div", month));
    const table = document.createElement("table");
    for (const [name, value] of figures) {
      const row = document.createElement("tr");
      const th = el("th", name);
      th.scope = "row";
      const td = value === null ? el("td", "suppressed", "suppressed") : el("td", value, "num");
      if (value === null) td.title = suppressedNote();
      row.append(th, td);
      table.append(row);
    }
    box.append(table);
    return box;
  }

  function drawMap(fit) {
    const month = $("map-month-label").hidden ? null : $("map-month").value;
    const measure = $("map-measure").value;
    const measures = [...$("map-measure").options].map((o) => o.value);
    // One figure per LSOA for the month: other dimensions summed; unknown if any part is.
    const byCode = new Map();
    const seen = new Set(); // LSOAs with a row in any month: no row this month means none
    for (const row of result.rows) {
      if (row[LSOA]) seen.add(row[LSOA]);
      if (month && row[MONTH] !== month) continue;
      const code = row[LSOA];
      if (!code) continue;
      const figures = byCode.get(code) || new Map(measures.map((m) => [m, 0]));
      for (const m of measures) {
        const prior = figures.get(m);
        figures.set(m, prior === null || row[m] === null ? null : prior + row[m]);
      }
      byCode.set(code, figures);
    }
    const values = [...byCode.values()].map((f) => f.get(measure)).filter((v) => v !== null);
    const max = Math.max(1, ...values);
    if (!map) {
      map = L.map("map", { zoomSnap: 0.25, attributionControl: true });
      map.attributionControl.setPrefix(false);
      if (attribution) map.attributionControl.addAttribution(attribution);
      map.createPane("grid").style.zIndex = 350; // under the circles (overlayPane, 400)
      markers = L.layerGroup().addTo(map);
      fit = true;
    }
    markers.clearLayers();
    const located = [];
    let unknown = 0;
    let suppressed = 0;
    for (const [code, figures] of byCode) {
      const point = points.get(code);
      if (!point) {
        unknown += 1;
        continue;
      }
      const value = figures.get(measure);
      const at = [point.latitude, point.longitude];
      located.push(at);
      let marker;
      if (value === null) {
        suppressed += 1;
        marker = L.circleMarker(at, {
          radius: 7, color: "#5b6470", weight: 2, dashArray: "3 3", fillColor: "#ffffff",
          fillOpacity: 0.9, className: "lsoa-marker lsoa-suppressed",
        });
      } else {
        const share = value / max;
        marker = L.circleMarker(at, {
          radius: 5 + 17 * Math.sqrt(share), color: "#7a2a05", weight: 1, fillColor: colour(share),
          fillOpacity: 0.85, className: "lsoa-marker lsoa-count",
        });
      }
      marker.bindPopup(popup(point, code, month, [...figures]));
      marker.bindTooltip(`${point.name}: ${value === null ? "suppressed" : value} ${measure}`);
      markers.addLayer(marker);
    }
    let none = 0;
    for (const code of seen) {
      const point = points.get(code);
      if (byCode.has(code) || !point) continue;
      none += 1;
      const at = [point.latitude, point.longitude];
      located.push(at);
      const marker = L.circleMarker(at, {
        radius: 3, color: "#8a949e", weight: 1, fillColor: "#8a949e", fillOpacity: 0.6,
        className: "lsoa-marker lsoa-none",
      });
      const box = el("div", undefined, "lsoa-popup");
      box.append(el("strong", point.name), el("div", code, "mono"),
        el("div", `None recorded${month ? ` in ${month}` : ""}.`));
      marker.bindPopup(box);
      markers.addLayer(marker);
    }
    if (fit && located.length) {
      const bounds = L.latLngBounds(located);
      if (gridLines) map.removeLayer(gridLines);
      gridLines = grid(bounds).addTo(map);
      map.invalidateSize();
      map.fitBounds(bounds.pad(0.08));
    }
    let note = `${byCode.size} LSOAs with a row${month ? ` in ${month}` : ""}`;
    if (suppressed) note += `, ${suppressed} with ${measure} suppressed`;
    if (none) note += `; ${none} with none recorded`;
    if (unknown) note += `; ${unknown} not drawn: the hub has no point for their codes`;
    if (result.next) note += "; the map shows the rows loaded so far";
    $("map-note").textContent = `${note}.`;
  }

  // ---- downloads ----------------------------------------------------------------------

  function save(blob, name) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  async function download(kind) {
    $("query-problem").hidden = true;
    $("download-note").hidden = true;
    const body = queryBody();
    const accept = { csv: CSV, parquet: PARQUET, geojson: GEOJSON }[kind];
    setBusy(true);
    try {
      const answer = await api(queryPath(), { method: "POST", body, accept });
      const blob = await answer.blob();
      const name = `${view.id}-${new Date().toISOString().slice(0, 10)}.${kind}`;
      save(blob, name);
      let note = `Saved ${name}.`;
      if (answer.headers.get("X-Next-Cursor")) {
        note += ` It holds the first ${body.limit || 1000} rows only: there are more. ` +
          "Raise “Rows per page” (up to 10000) and download again for more in one file.";
      }
      $("download-note").textContent = note;
      $("download-note").hidden = false;
    } catch (err) {
      handle(err, $("query-problem"));
    } finally {
      setBusy(false);
    }
  }

  // ---- start --------------------------------------------------------------------------

  $("query-form").addEventListener("submit", runQuery);
  $("load-more").addEventListener("click", loadMore);
  $("download-csv").addEventListener("click", () => download("csv"));
  $("download-parquet").addEventListener("click", () => download("parquet"));
  $("download-geojson").addEventListener("click", () => download("geojson"));
  $("map-month").addEventListener("change", () => drawMap(false));
  $("map-measure").addEventListener("change", () => drawMap(false));
  $("reid-form").addEventListener("submit", submitReidentification);
  $("reid-cancel").addEventListener("click", () => { $("reid-card").hidden = true; });
  $("reid-refresh").addEventListener("click", () => loadReidentifications());

  if (root.dataset.cookieSignedIn !== "yes") {
    showSignedOut("");
  } else {
    loadViews().catch((err) => handle(err, $("page-problem")));
    loadReidentifications().catch((err) => handle(err, $("page-problem")));
  }
})();
