/**
 * Seals webhook signing secrets before they are stored or sent on a queue, and opens them where a notification
 * is signed. A sealed secret is bound to its subscription: it opens only for the id it was sealed for. A plain
 * `whsec_` secret (stored before secrets were sealed) opens as itself, so nothing stored earlier is lost.
 */
export interface SecretCipher {
  seal(secret: string, subscriptionId: string): Promise<string>;
  open(sealed: string, subscriptionId: string): Promise<string>;
}
