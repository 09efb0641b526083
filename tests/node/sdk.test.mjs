// The official openai SDK against wxai-mock's OpenAI-compatible fallback.
// run.sh starts the real mock on tests/data/chat.yaml and sets WXAI_MOCK_URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

const base = process.env.WXAI_MOCK_URL;
assert.ok(base, 'WXAI_MOCK_URL is not set: run tests/node/run.sh');

const KEY = 'sk-test-chat-0123456789abcdef';
const STREAM_KEY = 'sk-test-chat-stream-0123456789';
const LIMITED_KEY = 'sk-test-chat-limited-0123456789';
const DINNER = 'split the dinner bill from last night between Alice and Bob';

const client = (apiKey, options = {}) => new OpenAI({ apiKey, baseURL: `${base}/v1`, ...options });

test('models.list names the scenario models', async () => {
  const ids = [];
  for await (const m of client(KEY).models.list()) ids.push(m.id);
  assert.deepEqual(ids, ['gpt-4o-mini', 'qwen-pay-fallback']);
});

test('a plain completion carries content, usage and the request id', async () => {
  const { data, response } = await client(KEY)
    .chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You extract payments.' },
        { role: 'user', content: DINNER },
      ],
    })
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.match(data.id, /^chatcmpl-/);
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].finish_reason, 'stop');
  const intent = JSON.parse(data.choices[0].message.content);
  assert.equal(intent.type, 'split_bill');
  assert.equal(intent.splits.reduce((s, x) => s + x.amount.total, 0), intent.amount.total);
  assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
  assert.ok(data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
  assert.match(response.headers.get('x-request-id'), /^[0-9a-f-]{36}$/);
  assert.equal(response.headers.get('x-ratelimit-limit-requests'), '600');
  assert.ok(response.headers.get('x-ratelimit-remaining-requests'));
  assert.ok(response.headers.get('x-ratelimit-reset-requests'));
});

test('json_object mode always answers JSON', async () => {
  const data = await client(KEY).chat.completions.create({
    model: 'gpt-4o-mini',
    response_format: { type: 'json_object' },
    messages: [{ role: 'user', content: 'Say hello in JSON.' }],
  });
  assert.equal(typeof JSON.parse(data.choices[0].message.content).reply, 'string');
});

test('a streamed completion with include_usage', async () => {
  const c = client(STREAM_KEY);
  const plain = await c.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: DINNER }],
  });
  const stream = await c.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: DINNER }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 4);
  for (const ch of chunks) {
    assert.equal(ch.object, 'chat.completion.chunk');
    assert.equal(ch.id, chunks[0].id);
    assert.equal(ch.created, chunks[0].created);
  }
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const content = chunks.flatMap((ch) => ch.choices.map((x) => x.delta.content ?? '')).join('');
  assert.equal(content, plain.choices[0].message.content);
  const finish = chunks.at(-2);
  assert.equal(finish.choices[0].finish_reason, 'stop');
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.deepEqual(last.usage, plain.usage);
});

test('errors come back as the SDK error classes', async () => {
  await assert.rejects(
    client('sk-not-a-scenario-key').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key',
  );
  await assert.rejects(
    client(KEY).chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found',
  );
  await assert.rejects(
    client(KEY).chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages' && e.type === 'invalid_request_error',
  );
});

test('a 429 is retried by the SDK after retry-after', async () => {
  // A fetch that records what the server answered to each attempt.
  const seen = [];
  const recording = async (url, init) => {
    const res = await fetch(url, init);
    seen.push({
      at: Date.now(),
      status: res.status,
      id: res.headers.get('x-request-id'),
      retryAfter: res.headers.get('retry-after'),
      retryAfterMs: res.headers.get('retry-after-ms'),
    });
    return res;
  };
  const c = client(LIMITED_KEY, { fetch: recording });
  const ask = (opts) =>
    c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, opts);

  await ask({ maxRetries: 0 }); // the key's one request at a time (burst 1)
  assert.deepEqual(seen.map((s) => s.status), [200]);
  seen.length = 0;

  const data = await ask(); // first attempt 429, the SDK waits retry-after-ms, then 200
  assert.equal(data.object, 'chat.completion');
  assert.deepEqual(seen.map((s) => s.status), [429, 200]);
  assert.equal(seen[0].retryAfter, '1');
  const waitMs = Number(seen[0].retryAfterMs);
  assert.ok(waitMs > 0 && waitMs <= 1000, `retry-after-ms ${seen[0].retryAfterMs}`);
  assert.notEqual(seen[0].id, seen[1].id); // the server answered two requests
  assert.ok(seen[1].at - seen[0].at >= waitMs - 50, 'the SDK retried before retry-after-ms');

  // Without retries the 429 surfaces as RateLimitError.
  await assert.rejects(
    ask({ maxRetries: 0 }),
    (e) => e instanceof OpenAI.RateLimitError && e.code === 'rate_limit_exceeded' && e.type === 'requests',
  );
});
