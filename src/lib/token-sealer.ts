// AES-256-GCM for tokens at rest. The first key seals, every key opens, so keys rotate without losing
// what was sealed under the previous one. The sealed text names its key by a short fingerprint (not the
// key) and binds the record it belongs to as associated data, so a sealed token cannot be moved to
// another session or event.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

const VERSION = 'v1'

const fingerprint = (key: Buffer): string => createHash('sha256').update(key).digest('base64url').slice(0, 8)

export class TokenSealer {
  readonly #keys: Array<{ id: string; key: Buffer }>

  constructor (keys: Buffer[]) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('TokenSealer needs 32-byte keys')
    this.#keys = keys.map((key) => ({ id: fingerprint(key), key }))
  }

  seal (plaintext: string, boundTo: string): string {
    const { id, key } = this.#keys[0]!
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(Buffer.from(boundTo))
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return [VERSION, id, iv.toString('base64url'), ciphertext.toString('base64url')].join('.')
  }

  open (sealed: string, boundTo: string): string {
    const [version, id, ivText, dataText] = sealed.split('.')
    const entry = this.#keys.find((k) => k.id === id)
    if (version !== VERSION || !entry || !ivText || !dataText) throw new Error('sealed value has an unknown format or key')
    const data = Buffer.from(dataText, 'base64url')
    const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(ivText, 'base64url'))
    decipher.setAAD(Buffer.from(boundTo))
    decipher.setAuthTag(data.subarray(data.length - 16))
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8')
  }
}
