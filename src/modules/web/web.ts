import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerQueueDashboard } from './queue-dashboard';
import { registerWebPages } from './web-pages';

/** Everything served to browsers by the API process: the console, the parent's page, the queue dashboard. */
export async function registerWeb(app: NestFastifyApplication): Promise<void> {
  await registerWebPages(app);
  await registerQueueDashboard(app);
}
