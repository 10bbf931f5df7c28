import type http from 'node:http';
import { LoopbackServer, type LoopbackReply } from './loopback-server';
import { QdrantOpenApiCheck } from './qdrant-openapi-check';

/**
 * A loopback stand-in for Qdrant's REST API: the endpoints mnemo's adapter
 * calls, with in-memory semantics close enough to run the store contract,
 * and a log of every request so tests can assert what the adapter sends.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}

interface Point {
  id: string;
  vector: number[];
  payload: Record<string, any>;
}

interface Collection {
  config: any;
  indexes: Map<string, any>;
  points: Map<string, Point>;
}

type Cond = Record<string, any>;

function matches(point: Point, filter: any): boolean {
  if (!filter) return true;
  const all = (conds: Cond[] | undefined, fn: (c: Cond) => boolean) => (conds ?? []).every(fn);
  if (!all(filter.must, (c) => condition(point, c))) return false;
  if (filter.must_not && filter.must_not.some((c: Cond) => condition(point, c))) return false;
  if (filter.should?.length && !filter.should.some((c: Cond) => condition(point, c))) return false;
  return true;
}

function condition(point: Point, c: Cond): boolean {
  if (c.must || c.should || c.must_not) return matches(point, c);
  if (c.has_id) return c.has_id.map(pointId).includes(point.id);
  if (c.is_empty) {
    const v = point.payload[c.is_empty.key];
    return v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  }
  const raw = point.payload[c.key];
  const values: any[] = Array.isArray(raw) ? raw : [raw];
  if (c.match?.value !== undefined) return values.includes(c.match.value);
  if (c.match?.any) return values.some((v) => c.match.any.includes(v));
  if (c.match?.text !== undefined) {
    const words = String(raw ?? '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    return words.includes(String(c.match.text).toLowerCase());
  }
  if (c.range) {
    const v = Date.parse(raw);
    const { gte, lte, gt, lt } = c.range;
    return (gte === undefined || v >= Date.parse(gte)) && (lte === undefined || v <= Date.parse(lte)) &&
      (gt === undefined || v > Date.parse(gt)) && (lt === undefined || v < Date.parse(lt));
  }
  throw new Error(`fake Qdrant does not understand condition ${JSON.stringify(c)}`);
}

/** Qdrant parses UUID ids and answers them in lowercase, hyphenated. */
function pointId(id: string | number): string {
  return String(id).toLowerCase();
}

/** The payload keys a filter conditions on. */
function filterKeys(filter: any): string[] {
  if (!filter) return [];
  return [...(filter.must ?? []), ...(filter.should ?? []), ...(filter.must_not ?? [])].flatMap((c: Cond) =>
    c.must || c.should || c.must_not ? filterKeys(c) : c.is_empty ? [c.is_empty.key] : c.is_null ? [c.is_null.key] : c.key ? [c.key] : [],
  );
}

/** A point addressed by id: Qdrant answers 404 when it is not there. */
function existing(c: Collection, id: string | number): Point {
  const p = c.points.get(pointId(id));
  if (!p) throw Object.assign(new Error(`No point with id ${id} found`), { status: 404 });
  return p;
}

function compare(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Datetimes order as instants, as Qdrant's datetime index holds them. */
function orderValue(v: unknown): number | string {
  if (typeof v === 'number') return v;
  const t = Date.parse(String(v));
  return Number.isNaN(t) ? String(v) : t;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i]!;
    na += x * x;
    nb += b[i]! * b[i]!;
  });
  return dot / (Math.sqrt(na * nb) || 1);
}

function project(point: Point, withPayload: any, withVector: any) {
  let payload: any = null;
  if (withPayload === true) payload = point.payload;
  else if (Array.isArray(withPayload)) payload = Object.fromEntries(withPayload.map((k: string) => [k, point.payload[k]]));
  return { id: point.id, version: 1, payload, vector: withVector ? point.vector : null };
}

/** The Qdrant release this stand-in answers as: the one docker-compose.yml runs. */
export const QDRANT_VERSION = '1.19.0';

export class FakeQdrant extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  readonly collections = new Map<string, Collection>();

  /**
   * Filters and orderings on payload keys without an index are refused, as
   * Qdrant does under strict mode (which a cluster operator may turn on).
   */
  strict = true;

  /** Every request and answer, held to Qdrant's OpenAPI document; null when the document is missing. */
  readonly openapi = QdrantOpenApiCheck.load();

  private port = 0;

  override async start(host = '127.0.0.1', port = this.port): Promise<void> {
    await super.start(host, port);
    this.port = Number(new URL(this.url).port);
  }

  /** A down Qdrant: the port stops listening, so calls fail with connection refused. Points stay. */
  async refuseConnections(): Promise<void> {
    await this.stop();
  }

  /** Back up on the same port, with the same collections. */
  async acceptConnections(): Promise<void> {
    await this.start(new URL(this.url).hostname, this.port);
  }

  /** Run once, just before the next request whose path ends so is handled: another client's write landing in between. */
  readonly interleave = new Map<string, () => void>();

  protected reply(req: http.IncomingMessage, url: URL, body: any): LoopbackReply {
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, body });
    for (const [suffix, run] of this.interleave) {
      if (url.pathname.endsWith(suffix)) {
        this.interleave.delete(suffix);
        run();
      }
    }
    this.openapi?.checkRequest(method, url.pathname, body);
    const reply = this.answer(method, url, body);
    this.openapi?.checkAnswer(method, url.pathname, reply.status, reply.body);
    return reply;
  }

  private answer(method: string, url: URL, body: any): LoopbackReply {
    // The client's compatibility check reads the server's version here.
    if (method === 'GET' && url.pathname === '/') {
      return { status: 200, body: { title: 'qdrant - vector search engine', version: QDRANT_VERSION, commit: null } };
    }
    try {
      return { status: 200, body: { result: this.handle(method, url.pathname, body), status: 'ok', time: 0.0001 } };
    } catch (err) {
      return { status: (err as { status?: number }).status ?? 400, body: { status: { error: (err as Error).message }, time: 0 } };
    }
  }

  /** Requests to one collection's points, for assertions. */
  pointRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes('/points') || r.path.endsWith('/facet'));
  }

  private collection(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw Object.assign(new Error(`Collection ${name} not found`), { status: 404 });
    return c;
  }

  private handle(method: string, path: string, body: any): unknown {
    const m = /^\/collections\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) throw Object.assign(new Error(`no route ${method} ${path}`), { status: 404 });
    const name = decodeURIComponent(m[1]!);
    const rest = m[2] ?? '';
    const route = `${method} ${rest}`;
    switch (route) {
      case 'GET /exists':
        return { exists: this.collections.has(name) };
      case 'GET ': {
        // Qdrant's defaults for what the adapter does not set.
        const c = this.collection(name);
        return {
          status: 'green',
          optimizer_status: 'ok',
          segments_count: 1,
          points_count: c.points.size,
          config: {
            params: { ...c.config, shard_number: c.config.shard_number ?? 1, replication_factor: c.config.replication_factor ?? 1 },
            hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10_000 },
            optimizer_config: { default_segment_number: 0, flush_interval_sec: 5 },
          },
          payload_schema: Object.fromEntries(
            [...c.indexes].map(([field, schema]) => [
              field,
              {
                data_type: typeof schema === 'string' ? schema : schema.type,
                ...(typeof schema === 'string' ? {} : { params: schema }),
                points: [...c.points.values()].filter((p) => p.payload[field] !== undefined && p.payload[field] !== null).length,
              },
            ]),
          ),
        };
      }
      case 'PUT ':
        if (this.collections.has(name)) throw Object.assign(new Error(`Wrong input: Collection \`${name}\` already exists!`), { status: 409 });
        this.collections.set(name, { config: body, indexes: new Map(), points: new Map() });
        return true;
      case 'DELETE ':
        this.collections.delete(name);
        return true;
      case 'PUT /index':
        this.collection(name).indexes.set(body.field_name, body.field_schema);
        return { operation_id: 0, status: 'completed' };
    }
    const c = this.collection(name);
    const points = [...c.points.values()];
    if (this.strict) {
      const keys = [...filterKeys(body?.filter), ...(body?.order_by ? [body.order_by.key] : []), ...(rest === '/facet' ? [body.key] : [])];
      const missing = keys.find((k) => !c.indexes.has(k));
      if (missing) throw Object.assign(new Error(`Bad request: Index required but not found for "${missing}"`), { status: 400 });
    }
    switch (route) {
      case 'PUT /points':
        for (const p of body.points) c.points.set(pointId(p.id), { id: pointId(p.id), vector: p.vector, payload: p.payload });
        return { operation_id: 1, status: 'completed' };
      case 'POST /points':
        return body.ids.map(pointId).filter((id: string) => c.points.has(id)).map((id: string) => project(c.points.get(id)!, body.with_payload, body.with_vector));
      case 'POST /points/query':
        return {
          points: points
            .filter((p) => matches(p, body.filter))
            .map((p) => ({ ...project(p, body.with_payload, body.with_vector), score: cosine(p.vector, body.query) }))
            .sort((a, b) => b.score - a.score)
            .slice(0, body.limit ?? 10),
        };
      case 'POST /points/scroll': {
        let found = points.filter((p) => matches(p, body.filter));
        if (body.order_by) {
          const { key, direction } = body.order_by;
          // Qdrant orders by (value, id), both reversed for desc, and leaves out points without the key.
          const sign = direction === 'desc' ? -1 : 1;
          found = found.filter((p) => p.payload[key] !== undefined && p.payload[key] !== null);
          found.sort((a, b) => sign * (compare(orderValue(a.payload[key]), orderValue(b.payload[key])) || compare(a.id, b.id)));
        } else {
          found.sort((a, b) => a.id.localeCompare(b.id));
          if (body.offset) found = found.filter((p) => p.id >= String(body.offset));
        }
        const limit = body.limit ?? 10;
        return {
          points: found.slice(0, limit).map((p) => project(p, body.with_payload, body.with_vector)),
          next_page_offset: !body.order_by && found.length > limit ? found[limit]!.id : null,
        };
      }
      case 'POST /points/count':
        return { count: points.filter((p) => matches(p, body.filter)).length };
      case 'POST /points/delete':
        for (const p of points) {
          if ((body.points && body.points.map(pointId).includes(p.id)) || (body.filter && matches(p, body.filter))) c.points.delete(p.id);
        }
        return { operation_id: 2, status: 'completed' };
      case 'POST /points/payload': {
        // Given points, Qdrant sets the payload on exactly those (404 if one is missing) and ignores the filter.
        const chosen = body.points ? body.points.map((id: string | number) => existing(c, id)) : points.filter((p) => matches(p, body.filter));
        for (const p of chosen) Object.assign(p.payload, body.payload);
        return { operation_id: 3, status: 'completed' };
      }
      case 'PUT /points/vectors':
        for (const { id, vector } of body.points) {
          const p = existing(c, id);
          if (matches(p, body.update_filter)) p.vector = vector;
        }
        return { operation_id: 4, status: 'completed' };
      case 'POST /facet': {
        const counts = new Map<string, number>();
        for (const p of points.filter((p) => matches(p, body.filter))) {
          const raw = p.payload[body.key];
          for (const v of Array.isArray(raw) ? raw : [raw]) counts.set(v, (counts.get(v) ?? 0) + 1);
        }
        return { hits: [...counts.entries()].map(([value, count]) => ({ value, count })) };
      }
    }
    throw Object.assign(new Error(`fake Qdrant has no route ${route}`), { status: 404 });
  }
}
