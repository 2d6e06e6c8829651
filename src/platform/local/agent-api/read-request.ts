import type { Context } from 'hono';
import { routePath } from 'hono/route';
import type { z } from 'zod';
import { invalidRequest, type RequestIssue, requestIssues } from './agent-api-error.js';

/**
 * The route's path parameters, each decoded with decodeURIComponent. hono keeps a malformed escape
 * (`%E0%A4%A`) as it was, so a name could silently differ from what the caller meant: here it is a 400
 * naming the parameter instead. Parameters in `skip` are left out (custom method segments: splitCustomMethod).
 */
export function readPathParams(c: Context, ...skip: string[]): Record<string, string> {
  const pattern = routePath(c).split('/');
  const raw = new URL(c.req.url).pathname.split('/');
  const params: Record<string, string> = {};
  const issues: RequestIssue[] = [];
  pattern.forEach((segment, i) => {
    if (!segment.startsWith(':')) return;
    const name = segment.slice(1);
    if (skip.includes(name)) return;
    const value = raw[i] ?? '';
    try {
      params[name] = decodeURIComponent(value);
    } catch {
      issues.push({ path: `:${name}`, message: `"${value}" has a malformed percent escape` });
    }
  });
  if (issues.length > 0) throw invalidRequest(`path ${c.req.method} ${c.req.path}`, issues);
  return params;
}

/**
 * A Cloud-Run-style custom method segment, `<name>:<verb>` (the name's own colons arrive as %3A): the
 * decoded name and the verb, if any.
 */
export function splitCustomMethod(c: Context, param: string): { name: string; verb: string | undefined } {
  const pattern = routePath(c).split('/');
  const index = pattern.indexOf(`:${param}`);
  const raw = new URL(c.req.url).pathname.split('/')[index] ?? '';
  const colon = raw.indexOf(':');
  const rawName = colon === -1 ? raw : raw.slice(0, colon);
  try {
    return { name: decodeURIComponent(rawName), verb: colon === -1 ? undefined : raw.slice(colon + 1) };
  } catch {
    throw invalidRequest(`path ${c.req.method} ${c.req.path}`, [
      { path: `:${param}`, message: `"${rawName}" has a malformed percent escape` },
    ]);
  }
}

/**
 * The JSON body checked against `schema`. An empty body reads as `{}` (POST …:start sends none);
 * `null`, arrays, wrong types and unknown fields are 400s naming the field.
 */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's message quotes the body, which may hold environment values: keep it out.
      throw invalidRequest(`body of ${c.req.method} ${c.req.path}`, [
        { path: 'body', message: 'Not valid JSON' },
      ]);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success)
    throw invalidRequest(`body of ${c.req.method} ${c.req.path}`, requestIssues(result.error, 'body'));
  return result.data;
}

/** The query string checked against `schema` (single values only). */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success)
    throw invalidRequest(`query of ${c.req.method} ${c.req.path}`, requestIssues(result.error, 'query'));
  return result.data;
}
