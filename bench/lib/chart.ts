/**
 * A small dependency-free SVG line chart: one or more series over a shared x axis (seconds),
 * each panel with its own y axis. Enough to show seats sold and latency over a sale.
 */
export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
}

const W = 900;
const PANEL_H = 260;
const M = { left: 70, right: 20, top: 30, bottom: 40 };

const esc = (s: string) =>
  s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  return Math.ceil(v / mag) * mag;
}

export function lineChart(title: string, panels: Panel[]): string {
  const height = panels.length * PANEL_H + 40;
  const xMax = niceMax(
    Math.max(1, ...panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)))),
  );
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const top = 40 + i * PANEL_H;
    const plotW = W - M.left - M.right;
    const plotH = PANEL_H - M.top - M.bottom;
    const yMax = niceMax(Math.max(1, ...panel.series.flatMap((s) => s.points.map(([, y]) => y))));
    const x = (v: number) => M.left + (v / xMax) * plotW;
    const y = (v: number) => top + M.top + plotH - (v / yMax) * plotH;
    parts.push(`<text x="${M.left}" y="${top + 18}" font-weight="bold">${esc(panel.title)}</text>`);
    for (let t = 0; t <= 4; t++) {
      const yv = (yMax * t) / 4;
      parts.push(
        `<line x1="${M.left}" x2="${W - M.right}" y1="${y(yv)}" y2="${y(yv)}" stroke="#ddd"/>`,
        `<text x="${M.left - 6}" y="${y(yv) + 4}" text-anchor="end">${Math.round(yv)}</text>`,
      );
      const xv = (xMax * t) / 4;
      parts.push(
        `<text x="${x(xv)}" y="${top + PANEL_H - M.bottom + 16}" text-anchor="middle">${Math.round(xv)} s</text>`,
      );
    }
    parts.push(
      `<text transform="translate(16 ${top + M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(panel.yLabel)}</text>`,
    );
    panel.series.forEach((s, k) => {
      if (s.points.length) {
        const d = s.points
          .map(([px, py], j) => `${j ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`)
          .join(' ');
        parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      }
      const lx = W - M.right - 160;
      const ly = top + 18 + k * 16;
      parts.push(
        `<rect x="${lx}" y="${ly - 9}" width="12" height="3" fill="${s.color}"/>`,
        `<text x="${lx + 18}" y="${ly - 4}">${esc(s.label)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}
