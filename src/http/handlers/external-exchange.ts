import type { Handler } from 'hono';
import type { FlowDeps } from '../../flows/deps.js';
import { exchangeExternalCode } from '../../flows/external-exchange.js';
import { consumerDpopJkt } from '../dpop.js';
import type { AppEnv } from '../env.js';
import { ExternalExchangeRequest } from '../schemas/external.js';
import { parseJsonBody } from '../validate.js';

/** POST /auth/external/exchange — SPEC §5.2; a guest's access token sent along is linked (§5.4). */
export const externalExchange = (deps: FlowDeps): Handler<AppEnv> => async (c) => {
  const body = parseJsonBody(ExternalExchangeRequest, await c.req.text());
  const dpopJkt = await consumerDpopJkt(deps, c);
  return c.json(await exchangeExternalCode(deps, c.get('application'), { ...body, ...(dpopJkt ? { dpopJkt } : {}) }, c.get('guest')));
};
