/**
 * The qrcode package, loaded the first time a QR is drawn: a paired daemon restarted onto its
 * saved session never draws one, and is half a MiB of heap lighter for it.
 */
export async function loadQrcode(): Promise<typeof import('qrcode')> {
  return (await import('qrcode')).default;
}
