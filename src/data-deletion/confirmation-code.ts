// The confirmation code Meta shows the person who asked for their data to be deleted, and the key of the
// status page: 24 characters of base62 (about 143 bits) from the CSPRNG, so it cannot be guessed.
import { randomBytes } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const LENGTH = 24
/** bytes at or above this would make the first characters likelier (256 is not a multiple of 62) */
const UNBIASED_BELOW = 256 - (256 % ALPHABET.length)

export const CONFIRMATION_CODE = /^[A-Za-z0-9]{24}$/

export function newConfirmationCode (): string {
  let code = ''
  while (code.length < LENGTH) {
    for (const byte of randomBytes(LENGTH * 2)) {
      if (byte < UNBIASED_BELOW && code.length < LENGTH) code += ALPHABET[byte % ALPHABET.length]
    }
  }
  return code
}
