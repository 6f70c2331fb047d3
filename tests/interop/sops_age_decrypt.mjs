// Decrypts a SOPS file with the sops-age npm package (an independent JavaScript
// implementation) and prints the result as JSON. Usage: node sops_age_decrypt.mjs FILE TYPE
// with the age identity in SOPS_AGE_KEY_FILE (a keys.txt).
import { decryptSops } from "sops-age";
import fs from "node:fs";

const [file, fileType] = process.argv.slice(2);
const key = fs
  .readFileSync(process.env.SOPS_AGE_KEY_FILE, "utf8")
  .split("\n")
  .find((line) => line.startsWith("AGE-SECRET-KEY-"));
const out = await decryptSops(fs.readFileSync(file, "utf8"), { secretKey: key, fileType });
process.stdout.write(JSON.stringify(out) + "\n");
