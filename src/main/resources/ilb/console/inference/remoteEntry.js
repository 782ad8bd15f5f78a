// The console's "Inference" view: ilb's pools, their backends by tier and the batch intake, refreshed every few
// seconds, with the operations the logged-in user's role allows.
//
// A Hawtio 4 plugin is a webpack module-federation container: Hawtio loads this script (ilb.console.InferencePlugin
// names it), calls init() with its share scope and get('./plugin'), then the module's plugin(). This one is plain
// JavaScript on the console's own React and @hawtio/react from that share scope, so it needs no build and no CDN.
// It reads and acts through @hawtio/react's jolokiaService: the console's Jolokia, under its access policy and the
// user's role, as every other page of the console.
(function () {
  'use strict';

  const SCOPE = 'ilbInference';
  const ACCESS = 'ilb:type=security,area=jmx,name=ConsoleAccess';
  const REFRESH_MILLIS = 3000;
  /** Points kept of each pool's saturation: a sparkline of the last few minutes of this page. */
  const HISTORY = 60;

  let React;
  let hawtioReact;
  let h;

  /** Versions as numbers, part by part: 18.10 is newer than 18.9. */
  const byVersion = (a, b) => {
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      if ((x[i] || 0) !== (y[i] || 0)) {
        return (x[i] || 0) - (y[i] || 0);
      }
    }
    return 0;
  };

  /** The newest version a share scope offers of a module, loaded. */
  async function shared(scope, name) {
    const versions = scope[name];
    if (!versions) {
      throw new Error(`the console shares no ${name}`);
    }
    const newest = Object.keys(versions).sort(byVersion).pop();
    const factory = await versions[newest].get();
    return factory();
  }

  // ---- reading ----------------------------------------------------------------------------------------------------

  /** The value of a key of an ObjectName ("ilb:name=a,type=Backend", "type" gives "Backend"). */
  function keyOf(objectName, key) {
    const found = objectName.slice(objectName.indexOf(':') + 1).split(',').find(p => p.startsWith(`${key}=`));
    return found ? found.slice(key.length + 1) : '';
  }

  /**
   * All of ilb's MBeans in one read: pools, backends, model versions and the batch intake. Hawtio's read answers a
   * failure (a session gone, a refusal) with nothing at all, logged; while the console runs there is always ilb's
   * ConsoleAccess, so nothing at all is a failure, not a fleet without pools.
   */
  async function readAll() {
    const all = await hawtioReact.jolokiaService.readAttributes('ilb:*');
    if (!all || Object.keys(all).length === 0) {
      throw new Error('the console\'s Jolokia answered nothing (logged out, or refused: see the browser\'s console)');
    }
    const read = { pools: [], backends: {}, versions: {}, intake: null };
    for (const [objectName, attributes] of Object.entries(all)) {
      const mbean = { objectName, ...attributes };
      switch (keyOf(objectName, 'type')) {
        case 'Pool': read.pools.push(mbean); break;
        case 'Backend': read.backends[mbean.Name] = mbean; break;
        case 'ModelVersion': read.versions[`${mbean.Model}\u0000${mbean.Version}`] = mbean; break;
        case 'BatchIntake': read.intake = mbean; break;
        default: break;
      }
    }
    read.pools.sort((a, b) => a.Model.localeCompare(b.Model) || a.Version.localeCompare(b.Version));
    return read;
  }

  async function canOperate(objectName) {
    try {
      return await hawtioReact.jolokiaService.execute(ACCESS, 'canInvoke(java.lang.String,java.lang.String)',
        [objectName, 'drain()']) === true;
    } catch (e) {
      return false;
    }
  }

  // ---- small pieces -----------------------------------------------------------------------------------------------

  const percent = share => `${Math.round(share * 100)} %`;
  const millis = value => (value < 0 ? '–' : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);

  /** A line of the values, scaled to their own highest; a flat line when all are zero. */
  function Sparkline({ values, label }) {
    const width = 96;
    const height = 20;
    const known = values.map(v => (v < 0 ? 0 : v));
    const top = Math.max(...known, 0) || 1;
    const step = known.length > 1 ? width / (known.length - 1) : width;
    const points = known.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / top) * (height - 2)).toFixed(1)}`);
    return h('svg', { width, height, role: 'img', 'aria-label': label, className: 'ilb-sparkline' },
      h('title', null, label),
      h('polyline', { points: points.join(' '), fill: 'none', stroke: '#0066cc', strokeWidth: 1.5 }));
  }

  function Label({ text, color }) {
    return h('span', { className: `pf-v5-c-label pf-m-${color} pf-m-compact` },
      h('span', { className: 'pf-v5-c-label__content' }, text));
  }

  const STATE_COLORS = { AVAILABLE: 'green', FULL: 'orange', COOLING: 'orange', DRAINED: 'grey' };
  const stateColor = state => STATE_COLORS[state] || 'red';

  function Button({ text, onClick, label }) {
    return h('button', { type: 'button', className: 'pf-v5-c-button pf-m-secondary pf-m-small', onClick,
      'aria-label': label || text, style: { marginRight: '4px' } }, text);
  }

  /**
   * A number field and a Set button: the value is sent only when Set is pressed, and only a number; the field then
   * shows the server's value again. {@code current} null: none yet (a version without a canary weight).
   */
  function NumberSetter({ current, label, step, min, max, onSet }) {
    const shown = current === null ? '' : String(current);
    const [value, setValue] = React.useState(shown);
    React.useEffect(() => setValue(shown), [shown]);
    const set = () => {
      const number = Number(value);
      if (value.trim() !== '' && Number.isFinite(number)) {
        onSet(number);
      }
      setValue(shown);
    };
    return h('span', { style: { whiteSpace: 'nowrap' } },
      h('input', { type: 'number', className: 'pf-v5-c-form-control', 'aria-label': label, value, step, min, max,
        placeholder: current === null ? 'none' : undefined,
        style: { width: '5.5em', marginRight: '4px' }, onChange: e => setValue(e.target.value) }),
      h(Button, { text: 'Set', label: `Set ${label}`, onClick: set }));
  }

  function Table({ label, columns, rows }) {
    return h('table', { className: 'pf-v5-c-table pf-m-compact pf-m-grid-md', role: 'grid', 'aria-label': label },
      h('thead', null, h('tr', null, columns.map(c => h('th', { key: c, scope: 'col' }, c)))),
      h('tbody', null, rows));
  }

  // ---- the view ---------------------------------------------------------------------------------------------------

  function BackendRow({ backend, operate, act }) {
    const name = backend.Name;
    const cells = [
      h('td', { key: 'name', 'data-label': 'Backend' }, h('b', null, name), h('br'), h('small', null, backend.Url)),
      h('td', { key: 'state', 'data-label': 'State' }, h(Label, { text: backend.State, color: stateColor(backend.State) })),
      h('td', { key: 'load', 'data-label': 'In flight / capacity' },
        `${backend.InFlight} / ${backend.Capacity} `, h('small', null, `(${backend.CapacitySource})`)),
      h('td', { key: 'breaker', 'data-label': 'Breaker' }, backend.Breaker),
      h('td', { key: 'health', 'data-label': 'Health' }, backend.Health),
      h('td', { key: 'weight', 'data-label': 'Weight' }, operate
        ? h(NumberSetter, { current: backend.Weight, label: `weight of ${name}`, step: 1,
          min: 0, onSet: weight => act(backend.objectName, 'changeWeight(int)', [weight]) })
        : String(backend.Weight)),
      h('td', { key: 'ttft', 'data-label': 'TTFT p50 / p99' },
        `${millis(backend.TtftP50Millis)} / ${millis(backend.TtftP99Millis)}`),
      h('td', { key: 'errors', 'data-label': 'Errors' }, percent(backend.ErrorRate)),
      h('td', { key: 'spark', 'data-label': 'Last minute' },
        h(Sparkline, { values: backend.AttemptsPerSlice, label: `${name} attempts per 5 s` }),
        h(Sparkline, { values: backend.TtftP50MillisPerSlice, label: `${name} TTFT p50 per 5 s` })),
    ];
    if (operate) {
      cells.push(h('td', { key: 'actions', 'data-label': 'Actions', className: 'ilb-actions',
        style: { whiteSpace: 'nowrap' } },
        backend.Drained
          ? h(Button, { text: 'Undrain', label: `Undrain ${name}`, onClick: () => act(backend.objectName, 'undrain()', []) })
          : h(Button, { text: 'Drain', label: `Drain ${name}`, onClick: () => act(backend.objectName, 'drain()', []) }),
        h(Button, { text: 'Reset breaker', label: `Reset breaker of ${name}`,
          onClick: () => act(backend.objectName, 'resetBreaker()', []) }),
        h(Button, { text: 'Check health', label: `Check health of ${name}`,
          onClick: () => act(backend.objectName, 'checkHealthNow()', []) })));
    }
    return h('tr', { 'data-backend': name }, cells);
  }

  function PoolCard({ pool, backends, version, history, operate, act }) {
    const members = pool.Backends.map(id => backends[id]).filter(Boolean);
    const tiers = [...new Set(members.map(b => b.Tier))].sort((a, b) => a - b);
    const columns = ['Backend', 'State', 'In flight / capacity', 'Breaker', 'Health', 'Weight', 'TTFT p50 / p99',
      'Errors (1 min)', 'Last minute'].concat(operate ? ['Actions'] : []);
    const title = pool.Version ? `${pool.Model} version ${pool.Version}` : pool.Model;
    return h('section', { className: 'pf-v5-c-card', 'data-pool': pool.Name, style: { marginBottom: '16px' } },
      h('div', { className: 'pf-v5-c-card__title' },
        h('h2', { className: 'pf-v5-c-title pf-m-lg' }, title, ' ',
          h(Label, { text: pool.Stage, color: pool.Stage === 'production' ? 'blue' : 'purple' })),
        h('small', null, `route ${pool.Name} · ${pool.Policy}`
          + (pool.Aliases.length ? ` · also ${pool.Aliases.join(', ')}` : ''))),
      h('div', { className: 'pf-v5-c-card__body' },
        h('p', null,
          `Saturation ${percent(pool.Saturation)} · queued ${pool.Queued} · in flight ${pool.InFlight} of`
          + ` ${pool.Capacity} · ${pool.BackendsInRotation} of ${members.length} backends in rotation `,
          h(Sparkline, { values: history, label: `${pool.Name} saturation` })),
        version ? h(VersionControls, { version, operate, act }) : null,
        tiers.map(tier => h('div', { key: tier, 'data-tier': tier },
          h('h3', { className: 'pf-v5-c-title pf-m-md' }, `Tier ${tier}`),
          h(Table, { label: `${pool.Name} tier ${tier}`, columns,
            rows: members.filter(b => b.Tier === tier).map(b =>
              h(BackendRow, { key: b.Name, backend: b, operate, act })) })))));
  }

  /** A versioned pool's share of its model's requests: canary weight and shadow share. */
  function VersionControls({ version, operate, act }) {
    const weight = version.Weight < 0 ? 'none' : String(version.Weight);
    return h('p', { 'data-version': version.Version },
      `Canary weight ${weight} · shadow share ${percent(version.Shadow)} `,
      operate ? h('span', null,
        h(NumberSetter, { current: version.Weight < 0 ? null : version.Weight, step: 1, min: 0,
          label: `canary weight of ${version.Model} ${version.Version}`,
          onSet: value => act(version.objectName, 'changeWeight(int)', [value]) }), ' ',
        h(NumberSetter, { current: version.Shadow, step: 0.05, min: 0, max: 1,
          label: `shadow share of ${version.Model} ${version.Version}`,
          onSet: value => act(version.objectName, 'changeShadow(double)', [value]) })) : null);
  }

  function BatchIntake({ intake }) {
    if (!intake) {
      return h('p', { 'data-batch': 'off' }, 'Batch over Kafka is off (ilb.batch.enabled) or has no broker.');
    }
    return h(Table, { label: 'batch intake',
      columns: ['Waiting on Kafka', 'In flight', 'Limit', 'Results', 'Dead letters', 'Retries', 'Deferrals'],
      rows: [h('tr', { key: 'intake', 'data-batch': 'on' },
        [intake.Lag < 0 ? '–' : intake.Lag, intake.InFlight, intake.Limit, intake.Results, intake.DeadLetters,
          intake.Retries, intake.Deferrals].map((v, i) => h('td', { key: i }, String(v))))] });
  }

  function InferenceView() {
    const [data, setData] = React.useState(null);
    const [failure, setFailure] = React.useState(null);
    // null until the console has said whether the user's role runs operations
    const [operate, setOperate] = React.useState(null);
    const [said, setSaid] = React.useState(null);
    const history = React.useRef({});
    // each read is numbered: an answer older than one already shown is dropped (a slow read after an action's)
    const reads = React.useRef({ started: 0, shown: 0 });

    const refresh = React.useCallback(async () => {
      const number = ++reads.current.started;
      try {
        const read = await readAll();
        if (number < reads.current.shown) {
          return;
        }
        reads.current.shown = number;
        const points = {};
        for (const pool of read.pools) {
          points[pool.Name] = (history.current[pool.Name] || []).concat(pool.Saturation).slice(-HISTORY);
        }
        // pools gone are forgotten
        history.current = points;
        setData(read);
        setFailure(null);
        const any = Object.values(read.backends)[0];
        if (any && operate === null) {
          // a role does not change while the page is open: asked once
          setOperate(await canOperate(any.objectName));
        }
      } catch (e) {
        setFailure(String(e && e.message ? e.message : e));
      }
    }, [operate]);

    // the next read is due a few seconds after the last one ended: reads never pile up behind a slow Jolokia
    React.useEffect(() => {
      let timer;
      let stopped = false;
      const loop = async () => {
        await refresh();
        if (!stopped) {
          timer = setTimeout(loop, REFRESH_MILLIS);
        }
      };
      loop();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    }, [refresh]);

    const act = React.useCallback(async (objectName, operation, args) => {
      try {
        const result = await hawtioReact.jolokiaService.execute(objectName, operation, args);
        setSaid(`${operation.replace(/\(.*\)/, '')} on ${objectName}: ${result === null || result === undefined ? 'done' : result}`);
      } catch (e) {
        setSaid(`${operation} on ${objectName} failed: ${e && e.error ? e.error : e}`);
      }
      refresh();
    }, [refresh]);

    if (!data) {
      return h('section', { className: 'pf-v5-c-page__main-section' }, failure ? `Cannot read ilb: ${failure}` : 'Loading…');
    }
    return h('section', { className: 'pf-v5-c-page__main-section', id: 'ilb-inference' },
      h('h1', { className: 'pf-v5-c-title pf-m-2xl' }, 'Inference'),
      h('p', null, h('small', null, `Refreshed every ${REFRESH_MILLIS / 1000} s`
        + (operate === false ? ' · read only: your role runs no operations' : ''))),
      failure ? h('div', { className: 'pf-v5-c-alert pf-m-danger pf-m-inline' }, `Last refresh failed: ${failure}`) : null,
      said ? h('div', { className: 'pf-v5-c-alert pf-m-info pf-m-inline', role: 'status' }, said) : null,
      data.pools.length === 0 ? h('p', null, 'No pool is running.') : null,
      data.pools.map(pool => h(PoolCard, { key: pool.Name, pool, backends: data.backends,
        version: pool.Version ? data.versions[`${pool.Model}\u0000${pool.Version}`] : null,
        history: history.current[pool.Name] || [], operate: operate === true, act })),
      h('h2', { className: 'pf-v5-c-title pf-m-lg' }, 'Batch intake'),
      h(BatchIntake, { intake: data.intake }));
  }

  function plugin() {
    hawtioReact.hawtio.addPlugin({
      id: 'ilb-inference',
      title: 'Inference',
      path: '/inference',
      order: 1,
      component: InferenceView,
      isActive: async () => true,
    });
  }

  window[SCOPE] = {
    init: async scope => {
      React = await shared(scope, 'react');
      hawtioReact = await shared(scope, '@hawtio/react');
      h = React.createElement;
    },
    get: async () => () => ({ plugin }),
  };
}());
