// The Grafana dashboard config/grafana/rentark.json, drawn with Grafana's own panel components
// (@grafana/ui: PanelChrome, BigValue, BarGauge, TimeSeries, Table) and data code (@grafana/data:
// data frames, value mappings, units, reducers, the merge and organize transformations), from
// the answers a real Prometheus gave to the dashboard's queries (query.py). What a Grafana server
// would add is done here in a few lines each: the grid layout of the panels, the repeated row's
// title, and turning Prometheus answers into data frames as its Prometheus data source does.
// No Grafana server is packaged for Debian 12 or on the npm registry, the only registries here.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { firstValueFrom } from 'rxjs';
import {
  createTheme,
  DataFrame,
  Field,
  FieldConfig,
  FieldType,
  getDisplayProcessor,
  getFieldDisplayValues,
  getFieldDisplayName,
  FieldDisplay,
  standardTransformers,
  standardTransformersRegistry,
  transformDataFrame,
  dateTime,
  TimeRange,
  DataTransformerConfig,
  VizOrientation,
} from '@grafana/data';
import {
  ThemeContext,
  GlobalStyles,
  PanelChrome,
  BigValue,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  BarGauge,
  TimeSeries,
  Table,
} from '@grafana/ui';
import { BarGaugeDisplayMode, LegendDisplayMode } from '@grafana/schema';

type Answer = { refId: string; resultType: 'vector' | 'matrix'; result: any[] };
type Data = { now: number; from: number; branch: string; panels: Record<string, Answer[]> };
declare const RK_DASHBOARD: any;
declare const RK_DATA: Data;

const theme = createTheme(); // Grafana's default: dark
const W = 1600; // page width; Grafana's grid: 24 columns, 30 px rows, 8 px gaps
const COLS = 24, ROW_H = 30, GAP = 8;
const colW = (W - GAP * (COLS - 1)) / COLS;

// Grafana's time series panel defaults (the field config a new panel gets).
const graphDefaults = {
  drawStyle: 'line', lineInterpolation: 'linear', lineWidth: 1, fillOpacity: 0, gradientMode: 'none',
  showPoints: 'auto', pointSize: 5, spanNulls: false, axisPlacement: 'auto', axisBorderShow: false,
  axisCenteredZero: false, barAlignment: 0, stacking: { mode: 'none', group: 'A' },
  scaleDistribution: { type: 'linear' }, hideFrom: { legend: false, tooltip: false, viz: false },
  thresholdsStyle: { mode: 'off' }, insertNulls: false, axisLabel: '', axisColorMode: 'text',
};

function legend(fmt: string | undefined, labels: Record<string, string>): string | undefined {
  if (!fmt) return undefined;
  return fmt.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, k) => labels[k] ?? '');
}

// A sample's value; NaN (a quantile of no observations) is a gap in the graph, not a value.
function num(v: string): number | null {
  const n = Number(v);
  return Number.isNaN(n) ? null : n;
}

// Prometheus answers as data frames, the way Grafana's Prometheus data source makes them.
function frames(panel: any, answers: Answer[]): DataFrame[] {
  const out: DataFrame[] = [];
  for (const a of answers) {
    const target = panel.targets.find((t: any) => t.refId === a.refId);
    if (target.format === 'table') {
      const labels = Array.from(new Set(a.result.flatMap((r: any) => Object.keys(r.metric)))).sort() as string[];
      const value = answers.length > 1 ? `Value #${a.refId}` : 'Value';
      const fields: Field[] = [
        { name: 'Time', type: FieldType.time, config: {}, values: a.result.map((r: any) => r.value[0] * 1000) },
        ...labels.map((l) => ({ name: l, type: FieldType.string, config: {}, values: a.result.map((r: any) => r.metric[l] ?? '') })),
        { name: value, type: FieldType.number, config: {}, values: a.result.map((r: any) => num(r.value[1])) },
      ];
      out.push({ refId: a.refId, fields, length: a.result.length });
      continue;
    }
    for (const r of a.result) {
      const points: [number, string][] = a.resultType === 'matrix' ? r.values : [r.value];
      const name = legend(target.legendFormat, r.metric);
      out.push({
        refId: a.refId,
        name,
        length: points.length,
        fields: [
          { name: 'Time', type: FieldType.time, config: { interval: 120000 }, values: points.map((p) => p[0] * 1000) },
          { name: 'Value', type: FieldType.number, labels: r.metric, config: { displayNameFromDS: name }, values: points.map((p) => num(p[1])) },
        ],
      });
    }
  }
  return out;
}

// The panel's field config on every field: its defaults, then overrides by name, then a display
// processor (units, decimals, mappings) and the series index colours go by.
function configure(panel: any, data: DataFrame[], extra: Partial<FieldConfig> = {}): DataFrame[] {
  let series = 0;
  for (const frame of data) {
    for (const field of frame.fields) {
      const defaults = JSON.parse(JSON.stringify(panel.fieldConfig.defaults ?? {}));
      field.config = { ...extra, ...defaults, ...field.config, custom: { ...(extra.custom ?? {}), ...(defaults.custom ?? {}) } };
      // Grafana's defaults where the panel sets none: a colour per series in graphs, else the
      // thresholds (green, red from 80).
      if (!field.config.color) field.config.color = { mode: panel.type === 'timeseries' ? 'palette-classic' : 'thresholds' } as any;
      if (!field.config.thresholds) {
        field.config.thresholds = { mode: 'absolute', steps: [{ color: 'green', value: -Infinity }, { color: 'red', value: 80 }] } as any;
      }
      // Overrides by name match the name shown (after a rename by the organize transformation).
      const shown = getFieldDisplayName(field, frame, data);
      for (const o of panel.fieldConfig.overrides ?? []) {
        if (o.matcher.id === 'byName' && o.matcher.options === shown) {
          for (const p of o.properties) {
            // A property id is a path into the field config: unit, custom.cellOptions.
            const path = p.id.split('.');
            let at: any = field.config;
            for (const k of path.slice(0, -1)) at = at[k] ??= {};
            at[path[path.length - 1]] = p.value;
          }
        }
      }
      field.state = { ...(field.state ?? {}), seriesIndex: field.type === FieldType.number ? series++ : undefined };
      field.display = getDisplayProcessor({ field, theme, timeZone: 'browser' });
    }
  }
  return data;
}

async function transform(panel: any, data: DataFrame[]): Promise<DataFrame[]> {
  if (!panel.transformations?.length) return data;
  return firstValueFrom(transformDataFrame(panel.transformations as DataTransformerConfig[], data));
}

function fieldValues(panel: any, data: DataFrame[]): FieldDisplay[] {
  return getFieldDisplayValues({
    data,
    reduceOptions: panel.options.reduceOptions,
    fieldConfig: panel.fieldConfig,
    replaceVariables: (s: string) => s,
    theme,
    timeZone: 'browser',
  });
}

function StatPanel({ panel, values, width, height }: { panel: any; values: FieldDisplay[]; width: number; height: number }) {
  const n = Math.max(values.length, 1);
  const w = (width - (n - 1) * 8) / n; // Grafana's "auto" orientation: side by side when wide
  return (
    <div style={{ display: 'flex', gap: 8 }}>
      {values.map((v, i) => (
        <BigValue
          key={i}
          theme={theme}
          value={v.display}
          width={w}
          height={height}
          colorMode={panel.options.colorMode as BigValueColorMode}
          graphMode={BigValueGraphMode.None}
          justifyMode={panel.options.justifyMode as BigValueJustifyMode}
          textMode={panel.options.textMode as BigValueTextMode}
        />
      ))}
    </div>
  );
}

function BarGaugePanel({ panel, values, width, height }: { panel: any; values: FieldDisplay[]; width: number; height: number }) {
  const sorted = [...values].sort((a, b) => (b.display.numeric ?? 0) - (a.display.numeric ?? 0));
  const h = Math.min(height / Math.max(values.length, 1) - 6, 40);
  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
      {sorted.map((v, i) => (
        <BarGauge
          key={i}
          theme={theme}
          value={v.display}
          field={v.field}
          display={v.view && v.colIndex !== undefined ? v.view.getFieldDisplayProcessor(v.colIndex) : undefined}
          width={width}
          height={h}
          orientation={VizOrientation.Horizontal}
          displayMode={panel.options.displayMode as BarGaugeDisplayMode}
          showUnfilled={panel.options.showUnfilled}
          itemSpacing={6}
        />
      ))}
    </div>
  );
}

// One panel and what it shows: its data frames, and for stat and bar gauge panels the values
// reduced from them (getFieldDisplayValues, once: the test's summary reads the same ones).
type Drawn = { panel: any; data: DataFrame[]; values: FieldDisplay[] };

function Panel({ panel, data, values, range }: Drawn & { range: TimeRange }) {
  const g = panel.gridPos;
  const style: React.CSSProperties = {
    position: 'absolute',
    left: Math.round((colW + GAP) * g.x),
    top: Math.round((ROW_H + GAP) * g.y),
    width: Math.round(colW * g.w + GAP * (g.w - 1)),
    height: Math.round(ROW_H * g.h + GAP * (g.h - 1)),
  };
  if (panel.type === 'row') {
    return (
      <div style={{ ...style, color: theme.colors.text.primary, fontSize: 16, fontWeight: 500, lineHeight: `${ROW_H}px` }}>
        {panel.title.replace('$branch', RK_DATA.branch)}
      </div>
    );
  }
  const title = panel.title.replace('$branch', RK_DATA.branch);
  return (
    <div style={style} data-panel={panel.id} data-title={title}>
      <PanelChrome title={title} description={panel.description} width={style.width as number} height={style.height as number}>
        {(w, h) => {
          if (!data.length || data.every((f) => f.length === 0)) return <div className="no-data">No data</div>;
          switch (panel.type) {
            case 'stat':
              return <StatPanel panel={panel} values={values} width={w} height={h} />;
            case 'bargauge':
              return <BarGaugePanel panel={panel} values={values} width={w} height={h} />;
            case 'timeseries':
              return (
                <TimeSeries
                  frames={data}
                  width={w}
                  height={h}
                  timeRange={range}
                  timeZone="browser"
                  legend={{ ...panel.options.legend, displayMode: panel.options.legend.displayMode as LegendDisplayMode, calcs: [] }}
                  options={panel.options}
                />
              );
            case 'table':
              return <Table data={data[0]} width={w} height={h} cellHeight={panel.options.cellHeight} />;
            default:
              return <div>panel type {panel.type} is not drawn here</div>;
          }
        }}
      </PanelChrome>
    </div>
  );
}

async function main() {
  // The transformations of @grafana/data, once each (some are exported under two names); the
  // registry loads each lazily.
  const byId = new Map(Object.values(standardTransformers).map((t: any) => [t.id, t]));
  standardTransformersRegistry.setInit(() =>
    [...byId.values()].map((t: any) => ({ id: t.id, name: t.name, transformation: async () => t, editor: () => null })) as any
  );
  const dash = RK_DASHBOARD;
  const range: TimeRange = {
    from: dateTime(RK_DATA.from * 1000),
    to: dateTime(RK_DATA.now * 1000),
    raw: { from: dash.time.from, to: dash.time.to },
  };
  const panels: Drawn[] = [];
  for (const panel of dash.panels) {
    const answers = RK_DATA.panels[String(panel.id)] ?? [];
    let data = frames(panel, answers);
    data = await transform(panel, data);
    data = configure(panel, data, panel.type === 'timeseries' ? { custom: graphDefaults } : {});
    const reduced = panel.type === 'stat' || panel.type === 'bargauge';
    panels.push({ panel, data, values: reduced ? fieldValues(panel, data) : [] });
  }
  // What each panel shows, for the test to compare with the simulated day.
  const summary: Record<string, unknown> = {};
  for (const { panel, data, values } of panels) {
    if (panel.type === 'stat' || panel.type === 'bargauge') {
      summary[panel.id] = values.map((v) => ({ title: v.display.title, text: v.display.text }));
    } else if (panel.type === 'timeseries') {
      summary[panel.id] = data.map((f) => ({ name: f.name, points: f.fields[1].values.filter((x) => x !== null).length }));
    } else if (panel.type === 'table') {
      summary[panel.id] = { rows: data[0]?.length ?? 0, columns: data[0]?.fields.map((f) => getFieldDisplayName(f, data[0], data)) };
    }
  }
  document.body.setAttribute('data-summary', JSON.stringify(summary));
  const height = Math.max(...dash.panels.map((p: any) => (ROW_H + GAP) * (p.gridPos.y + p.gridPos.h)));
  const fail = (e: unknown) => document.body.setAttribute('data-error', String((e as any)?.stack ?? e));
  const root = createRoot(document.getElementById('root')!, { onUncaughtError: fail, onRecoverableError: fail });
  root.render(
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <div style={{ background: theme.colors.background.canvas, padding: 16, width: W, fontFamily: theme.typography.fontFamily }}>
        <div style={{ display: 'flex', alignItems: 'baseline', gap: 24, color: theme.colors.text.primary, marginBottom: 12 }}>
          <span style={{ fontSize: 20, fontWeight: 500 }}>{dash.title}</span>
          <span style={{ color: theme.colors.text.secondary }}>Branch: {RK_DATA.branch}</span>
          <span style={{ color: theme.colors.text.secondary }}>Last 24 hours · refresh {dash.refresh}</span>
        </div>
        <div style={{ position: 'relative', height }}>
          {panels.map((p) => (
            <Panel key={p.panel.id} {...p} range={range} />
          ))}
        </div>
        <div style={{ color: theme.colors.text.secondary, fontSize: 12, marginTop: 8 }}>
          config/grafana/rentark.json drawn with Grafana's panel components (@grafana/ui) from a real Prometheus's
          answers to its queries; the day of the kiosks is simulated (tests/dashboard/history.py).
        </div>
      </div>
    </ThemeContext.Provider>
  );
  // Charts draw in effects; the test and the screenshot wait for this mark.
  setTimeout(() => document.body.setAttribute('data-rendered', '1'), 1500);
}

window.addEventListener('error', (e) => document.body.setAttribute('data-error', String(e.error?.stack ?? e.message)));
main().catch((e) => {
  document.body.setAttribute('data-error', String(e && e.stack ? e.stack : e));
  document.body.setAttribute('data-rendered', '1');
});
