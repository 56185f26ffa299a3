import { App, HTTPReceiver } from '@slack/bolt';

/**
 * The floor for ack latency: a Bolt app that only acknowledges. Same receiver settings as the bot
 * (HTTP, `processBeforeResponse: true`, identity from `authorize`, so no Slack call on the ack
 * path), run as its own process like the bot. `authorize` instead of `token`: Bolt refuses both.
 * Env: PORT, SLACK_SIGNING_SECRET.
 */
const port = Number(process.env.PORT ?? 3000);
const receiver = new HTTPReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  processBeforeResponse: true,
  customRoutes: [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
      },
    },
  ],
});
const app = new App({
  receiver,
  authorize: async () => ({ botToken: 'xoxb-bench', botId: 'B0BOT', botUserId: 'U0BOT', teamId: 'T0TEAM' }),
});
app.event('message', async () => {});
app.event('app_mention', async () => {});

await app.start(port);
process.once('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
