// What the flow chooser tests share: a session as the partner API answers it.
import { auth, type Harness } from '../helper.js'

export const read = async (h: Harness, id: string) => (await h.app.inject({ url: `/v1/sessions/${id}`, headers: auth })).json()
