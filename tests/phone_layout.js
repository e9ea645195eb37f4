// What a phone shows wrong, read from the laid-out page (tests/test_phone_browser.py,
// docs/portal.md "On a phone"). Returns a list of problems in words; [] is a pass.
//
// The rule:
// 1. The page never scrolls sideways (documentElement.scrollWidth <= clientWidth).
// 2. No text lies outside the screen, or outside a box that clips it. The one
//    exception is a deliberate sideways scroller: an element marked
//    data-scroll-x, with overflow-x auto or scroll, itself wholly on the
//    screen (a wide matrix such as 报送完整率's twelve months). Any other
//    scrolling wrapper (.table-responsive) must fit its content: a column
//    hidden off to the right counts as cut off.
// 3. Text cut with text-overflow: ellipsis is allowed only where the element
//    (or an ancestor) carries a title with the whole text.
// 4. No two pieces of text overlap, in the page or in a chart (ECharts draws on
//    a canvas: its text is read from the chart's display list); a chart's
//    calendar dot stays inside its day's cell and leaves the cell's colour
//    showing (at most 70 % of the cell's smaller side).
() => {
  const problems = [];
  const doc = document.documentElement;
  const viewportWidth = doc.clientWidth;
  const SLACK = 1; // sub-pixel rounding

  const describe = (element) => {
    let name = element.tagName.toLowerCase();
    if (element.id) name += "#" + element.id;
    const classes = [...element.classList].slice(0, 3);
    if (classes.length) name += "." + classes.join(".");
    const text = (element.innerText || element.textContent || "").trim().replace(/\s+/g, " ").slice(0, 40);
    return text ? `${name} «${text}»` : name;
  };

  if (doc.scrollWidth > doc.clientWidth) {
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide on a ${doc.clientWidth} px screen`);
  }

  const hiddenOnPurpose = (element) => {
    for (let node = element; node && node !== doc; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.visibility === "hidden" || style.opacity === "0") return true;
      if (node.classList.contains("visually-hidden") || style.clip !== "auto" || style.clipPath !== "none") return true;
    }
    return false;
  };

  // Every line box of every visible piece of text.
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim()) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, select, option, template, noscript, textarea")) continue;
    if (parent.closest("details:not([open]) > :not(summary)")) continue; // folded away
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0.5 && r.height > 0.5);
    if (!rects.length || hiddenOnPurpose(parent)) continue;
    texts.push({ node, parent, rects });
  }

  const titled = (element) => Boolean(element.closest("[title]"));
  const reported = new Set();
  const report = (key, message) => {
    if (!reported.has(key)) {
      reported.add(key);
      problems.push(message);
    }
  };

  const scrolledAway = new Set();
  // 2 and 3: cut off by a clipping box, a scroller, or the screen's edge.
  for (const { parent, rects } of texts) {
    const left = Math.min(...rects.map((r) => r.left));
    const right = Math.max(...rects.map((r) => r.right));
    const bottom = Math.max(...rects.map((r) => r.bottom));
    const top = Math.min(...rects.map((r) => r.top));
    let mayLieOutside = false;
    for (let box = parent; box && box !== doc && box !== document.body; box = box.parentElement) {
      const style = getComputedStyle(box);
      const clipsX = style.overflowX !== "visible";
      const clipsY = style.overflowY === "hidden" || style.overflowY === "clip";
      if (!clipsX && style.overflowY === "visible") continue;
      const edge = box.getBoundingClientRect();
      const inner = {
        left: edge.left + box.clientLeft,
        right: edge.left + box.clientLeft + box.clientWidth,
        top: edge.top + box.clientTop,
        bottom: edge.top + box.clientTop + box.clientHeight,
      };
      // Scrolled out of a box that scrolls up and down (a long table with a
      // fixed height): not on the screen now, so over nothing.
      if (/auto|scroll/.test(style.overflowY) && (top >= inner.bottom || bottom <= inner.top)) {
        scrolledAway.add(parent);
        break;
      }
      const outX = clipsX && (left < inner.left - SLACK || right > inner.right + SLACK);
      const outY = clipsY && bottom > inner.bottom + SLACK;
      if (!outX && !outY) continue;
      const scrolls = /auto|scroll/.test(style.overflowX);
      if (outX && scrolls) {
        const onScreen = edge.left >= -SLACK && edge.right <= viewportWidth + SLACK;
        if (box.hasAttribute("data-scroll-x") && onScreen) {
          mayLieOutside = true;
          continue;
        }
        report(box, `text hidden sideways in a scrolling box ${describe(box)}: ${describe(parent)}`);
        break;
      }
      const ellipsis = style.textOverflow === "ellipsis" || getComputedStyle(parent).textOverflow === "ellipsis";
      if (ellipsis && titled(parent)) {
        mayLieOutside = true; // cut on purpose, the whole text in the title
        continue;
      }
      report(parent, `text cut off${ellipsis ? " with an ellipsis and no title" : ""} by ${describe(box)}: ${describe(parent)}`);
      break;
    }
    if (!mayLieOutside && (left < -SLACK || right > viewportWidth + SLACK)) {
      report(parent, `text off the screen (${Math.round(left)}–${Math.round(right)} px): ${describe(parent)}`);
    }
  }

  // 4: text over text. Sorted by top, compared with the lines that start before it ends.
  const overlap = (a, b) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  const lines = [];
  texts.forEach((text, index) => {
    if (!scrolledAway.has(text.parent)) text.rects.forEach((rect) => lines.push({ rect, index }));
  });
  lines.sort((a, b) => a.rect.top - b.rect.top);
  for (let i = 0; i < lines.length; i++) {
    for (let j = i + 1; j < lines.length && lines[j].rect.top < lines[i].rect.bottom; j++) {
      if (lines[i].index !== lines[j].index && overlap(lines[i].rect, lines[j].rect)) {
        const a = texts[lines[i].index].parent;
        const b = texts[lines[j].index].parent;
        report(`${lines[i].index}/${lines[j].index}`, `text over text: ${describe(a)} and ${describe(b)}`);
      }
    }
  }

  // 4, in the charts.
  if (typeof echarts !== "undefined") {
    document.querySelectorAll("[data-chart]").forEach((element) => {
      const chart = echarts.getInstanceByDom(element);
      if (!chart || !element.getClientRects().length) return;
      const name = element.getAttribute("data-chart");
      const labels = [];
      chart
        .getZr()
        .storage.getDisplayList(true)
        .forEach((shape) => {
          if (shape.type !== "tspan" || shape.invisible || !shape.style || !String(shape.style.text || "").trim()) return;
          const box = shape.getBoundingRect().clone();
          if (shape.transform) box.applyTransform(shape.transform);
          labels.push({ text: String(shape.style.text), box });
        });
      const overlapBoxes = (a, b) =>
        Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x) > 1 &&
        Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y) > 1;
      for (let i = 0; i < labels.length; i++) {
        const box = labels[i].box;
        if (box.x < -SLACK || box.x + box.width > element.clientWidth + SLACK) {
          report(`${name}:${labels[i].text}:out`, `chart ${name}: «${labels[i].text}» outside the chart`);
        }
        for (let j = i + 1; j < labels.length; j++) {
          if (overlapBoxes(box, labels[j].box)) {
            report(`${name}:${i}:${j}`, `chart ${name}: «${labels[i].text}» over «${labels[j].text}»`);
          }
        }
      }
      // Calendar dots: inside their day's cell, smaller than it.
      const model = chart.getModel();
      model.getSeriesByType("scatter").forEach((series) => {
        if (series.get("coordinateSystem") !== "calendar") return;
        const calendar = series.coordinateSystem;
        const cell = Math.min(calendar.getCellWidth(), calendar.getCellHeight());
        const data = series.getData();
        for (let index = 0; index < data.count(); index++) {
          const dot = data.getItemGraphicEl(index);
          if (!dot) continue;
          const box = dot.getBoundingRect().clone();
          if (dot.transform) box.applyTransform(dot.transform);
          const size = Math.max(box.width, box.height);
          if (size > 0.7 * cell + SLACK) {
            report(`${name}:dot`, `chart ${name}: a ${Math.round(size)} px dot covers a ${Math.round(cell)} px day cell`);
            break;
          }
        }
      });
    });
  }
  return problems;
}
