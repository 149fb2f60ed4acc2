/**
 * Development only: `npm start` without SMTP_URL runs maildev in-process, so every email
 * the system sends can be read in a browser. Production never gets here (SMTP_URL is
 * required there, see config.ts).
 */
import type { Config } from '../../../config.ts';
import type { Logger } from '../../logging.ts';

export interface DevMailCatcher {
  smtpUrl: string;
  webUrl: string;
  stop(): Promise<void>;
}

export async function startDevMailCatcher(config: Config, logger: Logger): Promise<DevMailCatcher> {
  const { MailDev } = await import('maildev');
  const maildev = new MailDev({
    smtp: config.MAILDEV_SMTP_PORT,
    ip: '127.0.0.1',
    web: config.MAILDEV_WEB_PORT,
    webIp: '127.0.0.1',
    silent: true,
  });
  await maildev.start();
  const catcher = {
    smtpUrl: `smtp://127.0.0.1:${config.MAILDEV_SMTP_PORT}`,
    webUrl: `http://localhost:${config.MAILDEV_WEB_PORT}/`,
    stop: () => maildev.stop(),
  };
  logger.info(
    { smtp: catcher.smtpUrl, web: catcher.webUrl },
    `development mail catcher: open ${catcher.webUrl} to read the emails the system sends`,
  );
  return catcher;
}

/**
 * Outside production with no SMTP_URL: starts the catcher and returns the config pointing
 * SMTP at it. If it cannot start (ports taken), emails fail visibly in email_logs instead.
 */
export async function withDevMailCatcher(config: Config, logger: Logger): Promise<Config> {
  if (config.NODE_ENV === 'production' || config.SMTP_URL) return config;
  try {
    const catcher = await startDevMailCatcher(config, logger);
    return { ...config, SMTP_URL: catcher.smtpUrl };
  } catch (err) {
    logger.warn(
      { err },
      'could not start the development mail catcher (maildev); emails will be logged as FAILED until SMTP_URL is set',
    );
    return config;
  }
}
