// mvsync player: every clip driven from one timeline clock (issue 10, section 2).
//
// The page loads sync-data.js first: window.MVSYNC_DATA = {fps, length, clips: [{path, name, media, fps,
// media_time: [...], source_time: [...]}], events: [{name, timeline_s}]}, with one media_time per timeline frame
// (null where the clip has no content). At timeline time t, clip k must show media_time[k] sampled at t * fps.
// While playing, each <video> runs at the rate that keeps it on its map, nudged by its drift; when one drifts by more
// than half of one of its frames, all are sought back onto the map and started again together (the clock waits for
// them), so no clip free-runs and a stalled one does not leave the others out of step.
(function () {
  "use strict";

  const DATA = window.MVSYNC_DATA;
  const FPS = DATA.fps;
  const LENGTH = DATA.length;
  const END_S = (LENGTH - 1) / FPS;
  const MIN_RATE = 0.0625; // Chromium refuses playbackRate below this (and above 16): such clips are held and sought
  const MAX_RATE = 16;
  const MIN_SPEED = 0.1;
  const MAX_SPEED = 2;
  const MAX_START_WAIT_MS = 1000; // the clock waits for the videos to be sought and started, at most this long
  const RATE_WINDOW = 4; // a clip's rate is its map's slope averaged over this many timeline frames each side
  const CATCH_UP_S = 0.5; // a playing video's small drift is made up by its rate over about this long (at most 10%)
  // Videos start a few tens of milliseconds apart, so for a while after a (re)start a drift of up to START_DRIFT
  // frames is made up faster (over START_CATCH_UP_S, at most 30%) instead of restarting, which would start them
  // apart again.
  const START_GRACE_MS = 600;
  const START_DRIFT = 3;
  const START_CATCH_UP_S = 0.2;
  const $ = (id) => document.getElementById(id);

  // starting: set while restart() seeks and starts the videos; the clock does not run meanwhile
  const clock = { t: 0, playing: false, starting: null, startedAt: -Infinity, speed: 1, pace: null, loop: false,
                  loopIn: null, loopOut: null, last: null };
  const clips = DATA.clips.map(makeClip);
  const stage = $("stage");

  // ---- the map: timeline time -> a clip's media time -------------------------------------------------------

  // Each timeline frame's value, with the gaps (no content: before a clip starts, after it ends) filled by the
  // nearest frame that has content, and a flag per frame saying which are such gaps.
  function fillGaps(values) {
    const n = values.length;
    const empty = values.map((v) => v === null);
    const before = new Array(n); // the last frame with content at or before i (-1: none)
    const after = new Array(n); // the first frame with content at or after i (n: none)
    for (let i = 0, last = -1; i < n; i++) before[i] = last = empty[i] ? last : i;
    for (let i = n - 1, first = n; i >= 0; i--) after[i] = first = empty[i] ? first : i;
    const filled = values.map((v, i) => {
      if (!empty[i]) return v;
      const j = before[i] < 0 || (after[i] < n && after[i] - i < i - before[i]) ? after[i] : before[i];
      return j >= 0 && j < n ? values[j] : 0;
    });
    return { filled, empty };
  }

  // Linear between timeline frames, as numpy.interp over the frames (what the tests compare with).
  function sample(filled, t) {
    const x = Math.min(Math.max(t * FPS, 0), LENGTH - 1);
    const i = Math.min(Math.floor(x), LENGTH - 1);
    const j = Math.min(i + 1, LENGTH - 1);
    return filled[i] + (filled[j] - filled[i]) * (x - i);
  }

  function frameIndex(t) {
    return Math.min(Math.max(Math.round(t * FPS), 0), LENGTH - 1);
  }

  // Media seconds per timeline second around t (0 where the clip has no content), averaged over a few timeline
  // frames: a map steps unevenly (1, 1.5, 1.5, 1 frames...), and a video's rate cannot follow every step.
  function slope(clip, t) {
    const { filled, empty } = clip.media;
    const i = Math.min(Math.max(Math.floor(t * FPS), 0), Math.max(LENGTH - 2, 0));
    if (LENGTH < 2 || empty[i] || empty[i + 1]) return 0;
    let a = i;
    let b = i + 1;
    while (a > i + 1 - RATE_WINDOW && a > 0 && !empty[a - 1]) a--;
    while (b < i + RATE_WINDOW && b < LENGTH - 1 && !empty[b + 1]) b++;
    return ((filled[b] - filled[a]) / (b - a)) * FPS;
  }

  function makeClip(data, k) {
    return Object.assign({}, data, {
      index: k,
      file: data.media,
      media: fillGaps(data.media_time),
      source: fillGaps(data.source_time),
      video: null,
      label: null,
      cell: null,
    });
  }

  // ---- the clock ---------------------------------------------------------------------------------------------

  // Timeline seconds per real second at speed 1: 1 at the prototype's pace; at clip k's pace, whatever keeps
  // clip k at its own speed (where clip k has no content, the prototype's pace).
  function paceRate(t) {
    if (clock.pace === null) return 1;
    const clip = clips[clock.pace];
    if (clip.media.empty[frameIndex(t)]) return 1;
    return 1 / Math.max(slope(clip, t), 0.05); // a held frame of clip k is passed at 20x, not waited on
  }

  function loopBounds() {
    const lo = clock.loopIn === null ? 0 : clock.loopIn;
    const hi = clock.loopOut === null ? END_S : clock.loopOut;
    return lo < hi ? [lo, hi] : [0, END_S];
  }

  function advance(now) {
    if (clock.playing && !clock.starting && clock.last !== null) {
      const dt = Math.min((now - clock.last) / 1000, 0.25); // a hidden tab does not jump ahead when shown again
      clock.t += dt * clock.speed * paceRate(clock.t);
      clock.t += sharedDrift(clock.t);
      const [lo, hi] = loopBounds();
      if (clock.loop && clock.t > hi) { clock.t = lo; restart(); }
      else if (clock.t >= END_S) { clock.t = END_S; pause(); }
    }
    clock.last = now;
  }

  // How far ahead (or, negative, behind) the moving videos are together, in timeline seconds: the median of their
  // drifts. A page starved of CPU delays every video alike; the clock then keeps with them instead of leaving them
  // all behind, and what is left (one video apart from the others) is what driveVideos corrects.
  function sharedDrift(t) {
    const drifts = [];
    for (const clip of clips) {
      const v = clip.video;
      const s = slope(clip, t);
      if (v.paused || v.seeking || v.readyState < 2 || clock.speed * paceRate(t) * s < MIN_RATE) continue;
      drifts.push((v.currentTime - sample(clip.media.filled, t)) / s);
    }
    if (drifts.length === 0) return 0;
    drifts.sort((a, b) => a - b);
    const m = drifts.length >> 1;
    return drifts.length % 2 ? drifts[m] : (drifts[m - 1] + drifts[m]) / 2;
  }

  // ---- the videos ----------------------------------------------------------------------------------------------

  // Paused (or starting): every video still, on its mapped frame. Playing: each video that moves runs at the rate
  // its map asks for, nudged by its drift; one that drifts by more than half of its frame makes all of them
  // restart from their mapped frames (restart), so a stalled video never leaves the others out of step.
  function driveVideos() {
    if (clock.starting) return; // restart() is seeking and starting them
    const t = clock.t;
    const starting = performance.now() < clock.startedAt + START_GRACE_MS;
    const [catchUpS, most] = starting ? [START_CATCH_UP_S, 0.3] : [CATCH_UP_S, 0.1];
    for (const clip of clips) {
      const v = clip.video;
      if (v.readyState < 1) continue; // no metadata yet: driven once it arrives
      const target = sample(clip.media.filled, t);
      const rate = runningRate(clip, t, target);
      if (rate === 0) {
        if (!v.paused) v.pause();
        seekIfDrifted(clip, target);
        continue;
      }
      const drift = v.currentTime - target;
      if (v.seeking || Math.abs(drift) > (starting ? START_DRIFT : 0.5) / clip.fps) {
        restart();
        return;
      }
      const wanted = rate * Math.min(Math.max(1 - drift / catchUpS, 1 - most), 1 + most);
      if (Math.abs(v.playbackRate - wanted) > 0.002 * wanted) v.playbackRate = wanted;
      if (v.paused) v.play().catch(() => {}); // it held a frame until now; its start-up lag is caught up as drift
    }
  }

  // The rate at which clip's video must run at timeline time t, or 0 when it stands still there (paused, a held
  // frame, slower than a browser can play, no content, or its last frame: play() on an ended video restarts it).
  function runningRate(clip, t, target) {
    if (!clock.playing) return 0;
    const rate = clock.speed * paceRate(t) * slope(clip, t);
    if (rate < MIN_RATE || target >= clip.video.duration - 1 / clip.fps) return 0;
    return Math.min(rate, MAX_RATE);
  }

  function seekIfDrifted(clip, target) {
    const v = clip.video;
    if (v.seeking || Math.abs(v.currentTime - target) <= 0.5 / clip.fps) return;
    v.currentTime = Math.min(Math.max(target, 0), v.duration || Infinity);
  }

  // Start playing from the clock's time: the clock waits while every video is sought to its frame and started
  // (tens of milliseconds each; a clock that ran meanwhile would leave them all behind), then runs.
  async function restart() {
    const token = {};
    clock.starting = token;
    const current = () => clock.starting === token; // false once paused, sought or restarted meanwhile
    for (const clip of clips) clip.video.pause();
    for (const clip of clips) if (clip.video.readyState >= 1) seekIfDrifted(clip, sample(clip.media.filled, clock.t));
    await until(() => clips.every((c) => !c.video.seeking && c.video.readyState >= 2), MAX_START_WAIT_MS);
    if (!current()) return;
    const starts = [];
    for (const clip of clips) {
      const rate = runningRate(clip, clock.t, sample(clip.media.filled, clock.t));
      if (rate === 0 || clip.video.readyState < 1) continue;
      clip.video.playbackRate = rate;
      starts.push(clip.video.play().catch(() => {})); // refused (unmuted without a click): it stays on its frame
    }
    await Promise.race([Promise.all(starts), delay(MAX_START_WAIT_MS)]);
    if (!current()) return;
    clock.starting = null;
    clock.last = clock.startedAt = performance.now();
  }

  function until(condition, timeoutMs) {
    const end = performance.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = () => (condition() || performance.now() > end ? resolve() : setTimeout(check, 5));
      check();
    });
  }

  function delay(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // ---- what the page shows ------------------------------------------------------------------------------------

  function buildCells() {
    for (const clip of clips) {
      const cell = document.createElement("div");
      cell.className = "cell";
      const video = document.createElement("video");
      video.muted = true; // muted videos may start without a click; "sound" picks one to hear
      video.preload = "auto";
      video.playsInline = true;
      video.src = clip.file;
      video.addEventListener("loadedmetadata", () => driveVideos());
      const label = document.createElement("div");
      label.className = "label";
      label.title = clip.path;
      const canvas = document.createElement("canvas");
      canvas.className = "skeleton";
      cell.append(video, canvas, label);
      canvas.addEventListener("click", (e) => onMarkClick(clip, e));
      if (clip.pose) {
        const toggle = document.createElement("button");
        toggle.className = "bones";
        toggle.title = "this clip's skeleton on / off";
        toggle.textContent = "skeleton";
        toggle.addEventListener("click", () => setOverlay(!clip.overlay, clip.index));
        cell.append(toggle);
        clip.toggle = toggle;
      }
      stage.append(cell);
      Object.assign(clip, { video, label, cell, canvas, overlay: Boolean(clip.pose) });
    }
  }

  // ---- skeleton and joint angles (from each clip's pose landmarks) ---------------------------------------------

  // mediapipe's 33 landmarks: the lines drawn between them (face, arms, trunk, legs, feet)
  const BONES = [[0, 1], [1, 2], [2, 3], [3, 7], [0, 4], [4, 5], [5, 6], [6, 8], [9, 10], [11, 12], [11, 13],
    [13, 15], [15, 17], [15, 19], [15, 21], [17, 19], [12, 14], [14, 16], [16, 18], [16, 20], [16, 22], [18, 20],
    [11, 23], [12, 24], [23, 24], [23, 25], [25, 27], [27, 29], [29, 31], [27, 31], [24, 26], [26, 28], [28, 30],
    [30, 32], [28, 32]];
  // the angles, as mvsync.features.joint_angles defines them (written into sync-data.js): name -> the three
  // landmarks (the angle at the middle one), the trunk's four (shoulders, hips), the least visibility read
  const JOINTS = DATA.body.joints;
  const TRUNK = DATA.body.trunk;
  const ANGLE_NAMES = Object.keys(JOINTS).concat(["trunk_lean"]);
  const MIN_VISIBILITY = DATA.body.min_visibility; // hidden landmarks are not drawn, nor measured
  const COLORS = ["#ff5a5a", "#4fc3ff", "#7dff6a", "#ffd24a", "#d98cff", "#ff9b3d", "#5affd9", "#ff6ad5"];

  // The landmarks clip shows at timeline frame i, in pixels of its displayed frame: [[x, y, visibility]] x 33, or null.
  function landmarksAt(clip, i) {
    const pose = clip.pose;
    const row = pose ? pose.rows[i] : null;
    if (row === null || row === undefined) return null;
    const flat = pose.landmarks[row];
    const [w, h] = pose.size;
    const out = [];
    for (let j = 0; j < 33; j++) out.push([flat[3 * j] * w, flat[3 * j + 1] * h, flat[3 * j + 2]]);
    return out;
  }

  function angleBetween(ux, uy, vx, vy) {
    const norms = Math.hypot(ux, uy) * Math.hypot(vx, vy);
    if (!(norms > 1e-12)) return null;
    return (Math.acos(Math.min(Math.max((ux * vx + uy * vy) / norms, -1), 1)) * 180) / Math.PI;
  }

  // Degrees in the image plane, as mvsync.features.joint_angles.joint_angles(dims=2) measures them.
  function angleOf(points, name) {
    if (!points) return null;
    const used = name === "trunk_lean" ? TRUNK : JOINTS[name];
    if (used.some((j) => points[j][2] < MIN_VISIBILITY)) return null;
    if (name === "trunk_lean") { // the hips' midpoint to the shoulders' midpoint, against the image's vertical
      const [ls, rs, lh, rh] = TRUNK;
      const hx = (points[lh][0] + points[rh][0]) / 2;
      const hy = (points[lh][1] + points[rh][1]) / 2;
      const sx = (points[ls][0] + points[rs][0]) / 2;
      const sy = (points[ls][1] + points[rs][1]) / 2;
      return angleBetween(hx - sx, hy - sy, 0, 1);
    }
    const [a, b, c] = JOINTS[name];
    return angleBetween(points[a][0] - points[b][0], points[a][1] - points[b][1],
      points[c][0] - points[b][0], points[c][1] - points[b][1]);
  }

  // Where the video's picture lies inside its element (object-fit: contain), in CSS pixels of the element.
  function pictureBox(video) {
    const ew = video.clientWidth;
    const eh = video.clientHeight;
    const vw = video.videoWidth || ew;
    const vh = video.videoHeight || eh;
    const scale = Math.min(ew / vw, eh / vh);
    return { left: (ew - vw * scale) / 2, top: (eh - vh * scale) / 2, width: vw * scale, height: vh * scale };
  }

  // The skeleton's joints as drawn for clip k at the current frame: page pixels, null where not drawn.
  function drawnJoints(clip) {
    const points = clip.overlay ? landmarksAt(clip, frameIndex(clock.t)) : null;
    if (!points) return null;
    const box = pictureBox(clip.video);
    const [w, h] = clip.pose.size;
    return points.map(([x, y, v]) => ({ x: box.left + (x / w) * box.width, y: box.top + (y / h) * box.height, v }));
  }

  function drawSkeleton(clip) {
    const canvas = clip.canvas;
    const ratio = window.devicePixelRatio || 1;
    const [cw, ch] = [clip.video.clientWidth, clip.video.clientHeight];
    if (canvas.width !== Math.round(cw * ratio) || canvas.height !== Math.round(ch * ratio)) {
      canvas.width = Math.round(cw * ratio);
      canvas.height = Math.round(ch * ratio);
      canvas.style.width = `${cw}px`;
      canvas.style.height = `${ch}px`;
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, cw, ch);
    drawMarks(clip, g, pictureBox(clip.video));
    const joints = drawnJoints(clip);
    if (clip.toggle) clip.toggle.classList.toggle("on", clip.overlay);
    if (!joints) return;
    const color = COLORS[clip.index % COLORS.length];
    const box = pictureBox(clip.video);
    g.save();
    g.beginPath();
    g.rect(box.left, box.top, box.width, box.height); // nothing drawn on the bars around the picture
    g.clip();
    g.lineWidth = 2.5;
    g.strokeStyle = color;
    g.beginPath();
    for (const [a, b] of BONES) {
      if (joints[a].v < MIN_VISIBILITY || joints[b].v < MIN_VISIBILITY) continue;
      g.moveTo(joints[a].x, joints[a].y);
      g.lineTo(joints[b].x, joints[b].y);
    }
    g.stroke();
    g.fillStyle = "#fff";
    for (const p of joints) {
      if (p.v < MIN_VISIBILITY) continue;
      g.beginPath();
      g.arc(p.x, p.y, 3, 0, 2 * Math.PI);
      g.fill();
    }
    g.restore();
  }

  // ---- marks: lines, angles and notes drawn on one clip at one moment (marks.json beside sync.json) ------------

  const MARK_POINTS = { line: 2, angle: 3, text: 1 };
  const MARK_COLOR = "#ffd600";
  const marks = (DATA.marks || []).map((m) => Object.assign({ text: "", hold_s: 1.0 }, m));
  const drafting = { tool: "", clip: null, points: [] };

  function markShown(mark, t) {
    return t >= mark.timeline_s - 1e-6 && t <= mark.timeline_s + mark.hold_s;
  }

  function markDegrees(mark, size) {
    const p = mark.points.map(([x, y]) => [x * size[0], y * size[1]]);
    return angleBetween(p[0][0] - p[1][0], p[0][1] - p[1][1], p[2][0] - p[1][0], p[2][1] - p[1][1]);
  }

  function addMark(mark) {
    const kind = mark.kind;
    if (!(kind in MARK_POINTS)) throw new RangeError(`addMark: kind must be line, angle or text, got ${kind}`);
    if (!Array.isArray(mark.points) || mark.points.length !== MARK_POINTS[kind]) {
      throw new RangeError(`addMark: a ${kind} mark has ${MARK_POINTS[kind]} points`);
    }
    if (!(Number.isInteger(mark.clip) && mark.clip >= 0 && mark.clip < clips.length)) {
      throw new RangeError(`addMark: clip must be 0..${clips.length - 1}, got ${mark.clip}`);
    }
    const made = { clip: mark.clip, timeline_s: mark.timeline_s === undefined ? clock.t : Number(mark.timeline_s),
                   kind, points: mark.points.map(([x, y]) => [Number(x), Number(y)]),
                   text: String(mark.text || ""), hold_s: mark.hold_s === undefined ? 1.0 : Number(mark.hold_s) };
    marks.push(made);
    marksChanged();
    return made;
  }

  // Change a mark's note, moment or hold ({text, timeline_s, hold_s}), or remove it; the list and the save follow.
  function editMark(i, changes) {
    const mark = marks[checkMarkIndex(i, "editMark")];
    if ("text" in changes) mark.text = String(changes.text);
    if ("timeline_s" in changes) mark.timeline_s = Math.min(Math.max(Number(changes.timeline_s), 0), END_S);
    if ("hold_s" in changes) mark.hold_s = Math.max(Number(changes.hold_s), 0);
    marksChanged();
    return Object.assign({}, mark);
  }

  function removeMark(i) {
    const [removed] = marks.splice(checkMarkIndex(i, "removeMark"), 1);
    marksChanged();
    return removed;
  }

  function checkMarkIndex(i, name) {
    if (!(Number.isInteger(i) && i >= 0 && i < marks.length)) throw new RangeError(`${name}: no mark ${i} (${marks.length} marks)`);
    return i;
  }

  function marksChanged() {
    $("save-marks").disabled = false;
    $("marks-state").textContent = "unsaved";
    buildMarkList();
  }

  // The marks, in time order: jump to one, edit its note, delete it.
  function buildMarkList() {
    const list = $("mark-list");
    list.replaceChildren();
    $("mark-count").textContent = `${marks.length} mark${marks.length === 1 ? "" : "s"}`;
    const order = marks.map((m, i) => i).sort((a, b) => marks[a].timeline_s - marks[b].timeline_s);
    for (const i of order) {
      const mark = marks[i];
      const item = document.createElement("li");
      const go = document.createElement("button");
      go.textContent = `${mark.timeline_s.toFixed(2)} s`;
      go.title = "go to this mark";
      go.addEventListener("click", () => { pause(); seek(mark.timeline_s); });
      const note = document.createElement("input");
      note.value = mark.text;
      note.placeholder = mark.kind === "angle" ? "note (angle shown)" : "note";
      note.addEventListener("change", () => editMark(i, { text: note.value }));
      note.addEventListener("keydown", (e) => e.stopPropagation()); // typing is not a player key
      const remove = document.createElement("button");
      remove.textContent = "\u00d7";
      remove.title = "delete this mark";
      remove.className = "delete";
      remove.addEventListener("click", () => removeMark(i));
      item.append(go, ` ${clips[mark.clip].name} \u00b7 ${mark.kind} `, note, " ", remove);
      list.append(item);
    }
  }

  function drawMarks(clip, g, box) {
    const size = [clip.video.videoWidth || box.width, clip.video.videoHeight || box.height];
    const shown = marks.filter((m) => m.clip === clip.index && markShown(m, clock.t));
    if (drafting.clip === clip.index && drafting.points.length) shown.push({ kind: "draft", points: drafting.points });
    for (const mark of shown) {
      const xy = mark.points.map(([x, y]) => [box.left + x * box.width, box.top + y * box.height]);
      g.strokeStyle = g.fillStyle = MARK_COLOR;
      g.lineWidth = 3;
      g.beginPath();
      xy.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
      if (mark.kind !== "text") g.stroke();
      for (const [x, y] of xy) { g.beginPath(); g.arc(x, y, 3.5, 0, 2 * Math.PI); g.fill(); }
      const label = mark.kind === "angle" ? `${markDegrees(mark, size).toFixed(0)}\u00b0` : mark.text;
      if (label) {
        const [x, y] = mark.kind === "angle" ? xy[1] : xy[0];
        g.font = "bold 14px system-ui";
        g.lineWidth = 3;
        g.strokeStyle = "#000";
        g.strokeText(label, x + 6, y - 6);
        g.fillText(label, x + 6, y - 6);
      }
    }
  }

  // A click on a clip while a tool is chosen: one more point of the mark being drawn, in the picture's coordinates.
  function onMarkClick(clip, e) {
    if (!drafting.tool) return;
    pause();
    const rect = clip.canvas.getBoundingClientRect();
    const box = pictureBox(clip.video);
    const x = (e.clientX - rect.left - box.left) / box.width;
    const y = (e.clientY - rect.top - box.top) / box.height;
    if (x < 0 || x > 1 || y < 0 || y > 1) return;
    if (drafting.clip !== clip.index) Object.assign(drafting, { clip: clip.index, points: [] });
    drafting.points.push([x, y]);
    if (drafting.points.length === MARK_POINTS[drafting.tool]) {
      const text = drafting.tool === "text" ? window.prompt("note") : "";
      if (drafting.tool !== "text" || text) addMark({ clip: clip.index, kind: drafting.tool, points: drafting.points, text });
      Object.assign(drafting, { clip: null, points: [] });
    }
  }

  function setTool(tool) {
    Object.assign(drafting, { tool: tool in MARK_POINTS ? tool : "", clip: null, points: [] });
    stage.classList.toggle("drawing", Boolean(drafting.tool));
    $("mark-tool").value = drafting.tool;
  }

  // Served by mvsync serve: written beside sync.json. Opened from a file: downloaded as marks.json.
  async function saveMarks() {
    const text = JSON.stringify({ version: 1, marks }, null, 1);
    if (location.protocol.startsWith("http")) {
      const answer = await fetch("marks.json", { method: "PUT", body: text, headers: { "Content-Type": "application/json" } });
      const saved = answer.ok ? (await answer.json()).path : null;
      $("marks-state").textContent = saved ? `saved ${saved}` : `not saved (${answer.status})`;
      return { saved, status: answer.status };
    }
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    link.download = "marks.json";
    link.click();
    $("marks-state").textContent = "downloaded marks.json: put it beside sync.json";
    return { saved: null, downloaded: true };
  }

  function setOverlay(on, k) {
    for (const clip of clips) if (clip.pose && (k === undefined || k === null || clip.index === k)) clip.overlay = Boolean(on);
    $("skeleton").checked = clips.some((c) => c.overlay);
  }

  // The angle readout: one row per clip, one column per angle, at the current frame.
  function buildAngles() {
    const withPose = clips.filter((c) => c.pose);
    $("analysis").hidden = withPose.length === 0;
    $("skeleton-label").hidden = withPose.length === 0;
    if (withPose.length === 0) return;
    const head = $("angle-table").createTHead().insertRow();
    for (const name of ["clip"].concat(ANGLE_NAMES)) {
      const th = document.createElement("th");
      th.textContent = name.replace("_", " ");
      th.dataset.angle = name;
      head.append(th);
    }
    const body = $("angle-table").createTBody();
    for (const clip of clips) {
      const row = body.insertRow();
      row.insertCell().textContent = clip.name;
      row.cells[0].style.color = COLORS[clip.index % COLORS.length];
      for (const name of ANGLE_NAMES) row.insertCell().dataset.angle = name;
      clip.angleRow = row;
    }
    for (const name of ANGLE_NAMES) $("angle-joint").append(new Option(name.replace("_", " "), name));
    $("angle-joint").value = "knee_left";
    $("angle-joint").addEventListener("change", () => { plot.series = null; });
    $("angle-plot").addEventListener("click", (e) => {
      const box = $("angle-plot").getBoundingClientRect();
      pause();
      seek(((e.clientX - box.left) / box.width) * END_S);
    });
  }

  function currentAngles() {
    const i = frameIndex(clock.t);
    return clips.map((clip) => {
      const points = landmarksAt(clip, i);
      const out = {};
      for (const name of ANGLE_NAMES) out[name] = angleOf(points, name);
      return out;
    });
  }

  function showAngles() {
    if ($("analysis").hidden) return;
    const angles = currentAngles();
    for (const clip of clips) {
      for (const cell of Array.from(clip.angleRow.cells).slice(1)) {
        const value = angles[clip.index][cell.dataset.angle];
        const text = value === null ? "-" : `${value.toFixed(0)}\u00b0`;
        if (cell.textContent !== text) cell.textContent = text;
      }
    }
    drawPlot();
  }

  // The chosen angle of every clip over the whole timeline, with the playhead; a click seeks there.
  const plot = { series: null, joint: null, image: null };

  // The curves are drawn once per angle and size into an image; each frame only copies it and draws the playhead.
  function drawPlot() {
    const canvas = $("angle-plot");
    const joint = $("angle-joint").value;
    const ratio = window.devicePixelRatio || 1;
    const [cw, ch] = [canvas.clientWidth, canvas.clientHeight];
    const x = (i) => (LENGTH > 1 ? (i / (LENGTH - 1)) * cw : 0);
    if (!plot.series || plot.joint !== joint) {
      plot.joint = joint;
      plot.series = clips.map((clip) => Array.from({ length: LENGTH }, (_, i) => angleOf(landmarksAt(clip, i), joint)));
      plot.image = null;
    }
    if (canvas.width !== Math.round(cw * ratio) || canvas.height !== Math.round(ch * ratio)) {
      canvas.width = Math.round(cw * ratio);
      canvas.height = Math.round(ch * ratio);
      plot.image = null;
    }
    if (!plot.image) plot.image = plotImage(canvas.width, canvas.height, ratio, cw, ch, x);
    const g = canvas.getContext("2d");
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, canvas.width, canvas.height);
    g.drawImage(plot.image, 0, 0);
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.strokeStyle = "#fff";
    g.lineWidth = 1;
    g.beginPath();
    g.moveTo(x(frameIndex(clock.t)), 0);
    g.lineTo(x(frameIndex(clock.t)), ch);
    g.stroke();
  }

  function plotImage(width, height, ratio, cw, ch, x) {
    const image = document.createElement("canvas");
    image.width = width;
    image.height = height;
    const g = image.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    const y = (deg) => ch - 4 - (deg / 180) * (ch - 8);
    g.strokeStyle = "#333";
    g.lineWidth = 1;
    g.fillStyle = "#888";
    g.font = "10px system-ui";
    for (const deg of [0, 90, 180]) {
      g.beginPath(); g.moveTo(0, y(deg)); g.lineTo(cw, y(deg)); g.stroke();
      g.fillText(`${deg}\u00b0`, 2, Math.min(Math.max(y(deg) - 2, 10), ch - 2));
    }
    plot.series.forEach((values, k) => {
      g.strokeStyle = COLORS[k % COLORS.length];
      g.lineWidth = 1.5;
      g.beginPath();
      let open = false;
      values.forEach((v, i) => {
        if (v === null) { open = false; return; }
        if (open) g.lineTo(x(i), y(v)); else g.moveTo(x(i), y(v));
        open = true;
      });
      g.stroke();
    });
    return image;
  }

  function showTime() {
    const t = clock.t;
    const i = frameIndex(t);
    for (const clip of clips) {
      const empty = clip.media.empty[i];
      const text = empty ? `${clip.name}  (no content)` : `${clip.name}  ${sample(clip.source.filled, t).toFixed(2)} s`;
      if (clip.label.textContent !== text) clip.label.textContent = text;
      clip.cell.classList.toggle("empty", empty);
    }
    for (const clip of clips) drawSkeleton(clip);
    showAngles();
    const clockText = `${t.toFixed(2)} s  frame ${i} / ${LENGTH - 1}`;
    if ($("clock").textContent !== clockText) $("clock").textContent = clockText;
    if (!scrubbing) $("position").value = String(i);
    const button = clock.playing ? "\u275a\u275a" : "\u25b6"; // pause / play
    if ($("play").textContent !== button) $("play").textContent = button;
  }

  function showLoop() {
    const box = $("loop-range");
    box.hidden = clock.loopIn === null && clock.loopOut === null;
    const [lo, hi] = loopBounds();
    box.style.left = `${(100 * lo) / END_S}%`;
    box.style.width = `${(100 * (hi - lo)) / END_S}%`;
    $("loop").checked = clock.loop;
  }

  // Time ticks under the scrub bar: every whole 0.5, 1, 2, 5, 10, 15, 30, 60... seconds, at most 12 of them.
  function tickStep(endS) {
    const steps = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
    return steps.find((s) => endS / s <= 12) || Math.ceil(endS / 12 / 3600) * 3600;
  }

  function tickLabel(t) {
    if (t < 60) return `${Number.isInteger(t) ? t : t.toFixed(1)} s`;
    const m = Math.floor(t / 60);
    const s = Math.round(t - 60 * m);
    return `${m}:${String(s).padStart(2, "0")}`;
  }

  function buildTicks() {
    if (!(END_S > 0)) return;
    const step = tickStep(END_S);
    for (let k = 0; k * step <= END_S + 1e-9; k++) {
      const t = k * step;
      const tick = document.createElement("span");
      tick.className = "tick";
      tick.dataset.seconds = String(t);
      tick.textContent = tickLabel(t);
      tick.style.left = `${(100 * t) / END_S}%`;
      $("ticks").append(tick);
    }
  }

  function buildMarkers() {
    for (const event of DATA.events) {
      const marker = document.createElement("span");
      marker.className = "marker";
      marker.textContent = event.name;
      marker.title = `${event.name}: ${event.timeline_s.toFixed(2)} s (click to jump)`;
      marker.style.left = `${END_S > 0 ? (100 * event.timeline_s) / END_S : 0}%`;
      marker.addEventListener("click", () => { pause(); seek(event.timeline_s); });
      $("markers").append(marker);
    }
  }

  function setMode(mode) {
    const a = Number($("clip-a").value);
    const b = Number($("clip-b").value);
    stage.className = mode;
    $("pair").hidden = mode === "grid";
    $("opacity-label").hidden = mode !== "ghost";
    const cols = mode === "grid" ? Math.ceil(Math.sqrt(clips.length)) : mode === "side" ? 2 : 1;
    stage.style.setProperty("--cols", String(cols));
    for (const clip of clips) {
      clip.cell.classList.toggle("a", clip.index === a);
      clip.cell.classList.toggle("b", clip.index === b && b !== a);
      clip.video.style.opacity = mode === "ghost" && clip.index === b && b !== a ? $("opacity").value : "";
    }
  }

  // ---- controls ---------------------------------------------------------------------------------------------

  function seek(t) {
    const value = Number(t);
    if (!Number.isFinite(value)) throw new TypeError(`seek: expected seconds, got ${t}`);
    clock.t = Math.min(Math.max(value, 0), END_S);
    if (clock.playing) restart(); else driveVideos();
  }

  function play() {
    const [lo, hi] = loopBounds();
    if (clock.t >= (clock.loop ? hi : END_S)) clock.t = clock.loop ? lo : 0;
    clock.playing = true;
    restart();
  }

  function pause() {
    clock.playing = false;
    clock.starting = null;
    driveVideos();
  }

  function step(frames) {
    pause();
    seek((frameIndex(clock.t) + frames) / FPS);
  }

  function setSpeed(x) {
    const value = Number(x);
    if (!Number.isFinite(value)) throw new TypeError(`setSpeed: expected a number, got ${x}`);
    advance(performance.now()); // the time so far ran at the old speed
    clock.speed = Math.min(Math.max(value, MIN_SPEED), MAX_SPEED);
    $("speed").value = String(clock.speed);
    $("speed-value").textContent = `${clock.speed.toFixed(2)}x`;
  }

  function setPace(k) {
    if (k !== null && !(Number.isInteger(k) && k >= 0 && k < clips.length)) {
      throw new RangeError(`setPace: expected null or a clip index 0..${clips.length - 1}, got ${k}`);
    }
    advance(performance.now());
    clock.pace = k;
    $("pace").value = k === null ? "" : String(k);
  }

  function setSound(k) {
    for (const clip of clips) clip.video.muted = clip.index !== k;
  }

  let scrubbing = false;

  function bindControls() {
    $("position").max = String(LENGTH - 1);
    $("position").addEventListener("input", (e) => { scrubbing = true; seek(Number(e.target.value) / FPS); });
    $("position").addEventListener("change", () => { scrubbing = false; });
    $("play").addEventListener("click", () => (clock.playing ? pause() : play()));
    $("back").addEventListener("click", () => step(-1));
    $("forward").addEventListener("click", () => step(1));
    $("speed").addEventListener("input", (e) => setSpeed(e.target.value));
    $("loop").addEventListener("change", (e) => { clock.loop = e.target.checked; showLoop(); });
    $("loop-in").addEventListener("click", () => { clock.loopIn = clock.t; clock.loop = true; showLoop(); });
    $("loop-out").addEventListener("click", () => { clock.loopOut = clock.t; clock.loop = true; showLoop(); });
    for (const id of ["pace", "clip-a", "clip-b", "sound"]) {
      for (const clip of clips) $(id).append(new Option(`${clip.index}: ${clip.name}`, String(clip.index)));
    }
    $("clip-b").value = String(Math.min(1, clips.length - 1));
    $("pace").addEventListener("change", (e) => setPace(e.target.value === "" ? null : Number(e.target.value)));
    $("sound").addEventListener("change", (e) => setSound(e.target.value === "" ? null : Number(e.target.value)));
    for (const id of ["mode", "clip-a", "clip-b", "opacity"]) $(id).addEventListener("input", () => setMode($("mode").value));
    $("skeleton").addEventListener("change", (e) => setOverlay(e.target.checked));
    $("mark-tool").addEventListener("change", (e) => setTool(e.target.value));
    $("save-marks").addEventListener("click", () => saveMarks());
    $("save-marks").disabled = marks.length === 0;
    buildMarkList();
    document.addEventListener("keydown", onKey);
  }

  function onKey(e) {
    const keys = {
      " ": () => (clock.playing ? pause() : play()),
      ArrowLeft: () => step(e.shiftKey ? -10 : -1),
      ArrowRight: () => step(e.shiftKey ? 10 : 1),
      Home: () => seek(0),
      End: () => seek(END_S),
      "[": () => $("loop-in").click(),
      "]": () => $("loop-out").click(),
      l: () => { clock.loop = !clock.loop; showLoop(); },
      s: () => setOverlay(!clips.some((c) => c.overlay)),
      "+": () => setSpeed(clock.speed * 1.25),
      Escape: () => setTool(""),
      "-": () => setSpeed(clock.speed / 1.25),
    };
    const action = keys[e.key];
    if (!action || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault(); // a focused slider or button must not also take the key
    action();
  }

  function tick(now) {
    advance(now);
    driveVideos();
    showTime();
    requestAnimationFrame(tick);
  }

  // ---- start ------------------------------------------------------------------------------------------------

  document.title = `mvsync player: ${clips.length} clips (${DATA.method}, ${DATA.features})`;
  buildCells();
  buildMarkers();
  buildTicks();
  buildAngles();
  bindControls();
  setMode("grid");
  showLoop();
  requestAnimationFrame(tick);

  // The test hook (a stable contract, issue 10): times in seconds; clips in sync.json's order.
  window.mvsyncPlayer = {
    seek: (t) => seek(t),
    play: () => play(),
    pause: () => pause(),
    state: () => {
      advance(performance.now()); // the clock and the videos read at the same moment
      return { time: clock.t, clips: clips.map((c) => ({ path: c.path, currentTime: c.video.currentTime })) };
    },
    setPace: (k) => setPace(k),
    setSpeed: (x) => setSpeed(x),
    // skeleton overlay: on or off for every clip, or for clip k only
    overlay: (on, k) => setOverlay(on, k),
    // the skeleton joints drawn for clip k now: [{x, y, v}] x 33 in page pixels (null: none drawn)
    skeleton: (k) => {
      const joints = drawnJoints(clips[k]);
      if (!joints) return null;
      const box = clips[k].canvas.getBoundingClientRect();
      return joints.map((p) => ({ x: box.left + p.x, y: box.top + p.y, v: p.v }));
    },
    // per clip, every angle's readout at the current frame: {knee_left: degrees or null, ...}
    angles: () => currentAngles(),
    // the angle plot: which angle it shows, and each clip's curve over the timeline frames
    // marks: add one ({clip, kind: "line" | "angle" | "text", points: [[x, y]...] in 0-1 picture coordinates,
    // text, timeline_s (default: now), hold_s}), list them, edit mark i ({text, timeline_s, hold_s}), remove it,
    // those shown on clip k now, save them (a promise)
    addMark: (mark) => addMark(mark),
    marks: () => marks.map((m) => Object.assign({}, m)),
    shownMarks: (k) => marks.filter((m) => m.clip === k && markShown(m, clock.t)),
    markDegrees: (i) => markDegrees(marks[i], [clips[marks[i].clip].video.videoWidth, clips[marks[i].clip].video.videoHeight]),
    editMark: (i, changes) => editMark(i, changes),
    removeMark: (i) => removeMark(i),
    saveMarks: () => saveMarks(),
    setTool: (tool) => setTool(tool),
    anglePlot: (name) => {
      if (name !== undefined) { $("angle-joint").value = name; drawPlot(); }
      drawPlot();
      return { joint: plot.joint, series: plot.series };
    },
  };
})();
